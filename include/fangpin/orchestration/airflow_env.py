"""Airflow's configuration for Fangpin: one generated ``airflow.cfg`` that tells the truth.

Every Airflow component Fangpin starts reads ``$AIRFLOW_HOME/airflow.cfg``, which this module
writes from the environment before anything imports Airflow (Airflow would otherwise write its
own default, which says ``sqlite`` and a ``dags_folder`` nobody uses). What the file says is what
runs: an ``AIRFLOW__SECTION__KEY`` variable already in the environment is written into the file
too, so the file and the process never disagree. Fangpin's own settings (landing area, load
cap, build pool, notifier) are the ``[fangpin]`` section, readable by the DAG through
``airflow.configuration.conf`` and overridable as ``AIRFLOW__FANGPIN__…`` like any other key.

Secrets (the API's JWT secret, the Fernet key, the ``admin`` password of the simple auth
manager) are generated once, strong, into files of mode 0600 in ``AIRFLOW_HOME``; the
generated ``airflow.cfg`` holds the first two and is 0600 as well.

Per-process values (a Celery worker's name and log-server port) are not written into the
shared file: :func:`worker_command` passes them to that worker alone.
"""

from __future__ import annotations

import configparser
import json
import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from fangpin.config import airflow_home, dags_dir, project_root
from fangpin.warehouse.connection import (
    connect,
    database_name,
    ensure_database,
    sqlalchemy_url,
    with_database,
)

#: The pool every building step (transform, audit, publish) runs in: one slot, one build.
BUILD_POOL = "fangpin_build"
CONFIG_FILE = "airflow.cfg"
SECRETS_FILE = "fangpin-secrets.json"
PASSWORDS_FILE = "simple_auth_manager_passwords.json.generated"
ADMIN_USER = "admin"
DEFAULT_PORT = 8080
DEFAULT_LANDING = "/srv/fangpin/landing"


def metadata_url(warehouse: str) -> str:
    return with_database(warehouse, f"{database_name(warehouse)}_airflow")


@dataclass(frozen=True)
class Settings:
    """What a deployment is made of; every field comes from one ``FANGPIN_*`` variable."""

    port: int = DEFAULT_PORT
    host: str = "localhost"
    executor: str = "LocalExecutor"
    parallelism: int = 4
    load_cap: int = 2
    landing: str = DEFAULT_LANDING
    celery_broker: str = "redis://127.0.0.1:6379/0"
    worker_concurrency: int = 2
    heartbeat_timeout: int = 300
    notify_email_to: str = ""
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_from: str = "fangpin@localhost"

    @classmethod
    def from_env(cls, home: Path | None = None, **overrides: object) -> Settings:
        """Settings: the generated file's, then ``FANGPIN_*`` variables set, then ``overrides``.

        Reading the file first keeps what ``fangpin airflow standalone --port 8091`` chose
        when a later ``fangpin airflow dags list`` or a worker rewrites it.
        """
        values: dict[str, object] = _from_file(Path(home or airflow_home()) / CONFIG_FILE)
        for name, (var, kind) in _VARIABLES.items():
            if os.environ.get(var, "").strip():
                values[name] = kind(os.environ[var])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


#: Each setting's variable and type.
_VARIABLES: dict[str, tuple[str, type]] = {
    "port": ("FANGPIN_AIRFLOW_PORT", int),
    "host": ("FANGPIN_AIRFLOW_HOST", str),
    "executor": ("FANGPIN_AIRFLOW_EXECUTOR", str),
    "parallelism": ("FANGPIN_AIRFLOW_PARALLELISM", int),
    "load_cap": ("FANGPIN_LOAD_CAP", int),
    "landing": ("FANGPIN_LANDING", str),
    "celery_broker": ("FANGPIN_CELERY_BROKER", str),
    "worker_concurrency": ("FANGPIN_WORKER_CONCURRENCY", int),
    "heartbeat_timeout": ("FANGPIN_HEARTBEAT_TIMEOUT", int),
    "notify_email_to": ("FANGPIN_NOTIFY_EMAIL_TO", str),
    "smtp_host": ("FANGPIN_SMTP_HOST", str),
    "smtp_port": ("FANGPIN_SMTP_PORT", int),
    "smtp_from": ("FANGPIN_SMTP_FROM", str),
}
#: Where each setting is in the generated airflow.cfg.
_IN_FILE: dict[str, tuple[str, str]] = {
    "port": ("api", "port"),
    "executor": ("core", "executor"),
    "parallelism": ("core", "parallelism"),
    "load_cap": ("fangpin", "load_cap"),
    "landing": ("fangpin", "landing"),
    "celery_broker": ("celery", "broker_url"),
    "worker_concurrency": ("celery", "worker_concurrency"),
    "heartbeat_timeout": ("scheduler", "task_instance_heartbeat_timeout"),
    "notify_email_to": ("fangpin", "notify_email_to"),
    "smtp_host": ("fangpin", "smtp_host"),
    "smtp_port": ("fangpin", "smtp_port"),
    "smtp_from": ("fangpin", "smtp_from"),
}


def _from_file(path: Path) -> dict[str, object]:
    """The settings a generated airflow.cfg holds (none when there is no file yet)."""
    if not path.exists():
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    values: dict[str, object] = {}
    for name, (section, key) in _IN_FILE.items():
        if parser.has_option(section, key):
            values[name] = _VARIABLES[name][1](parser.get(section, key))
    if parser.has_option("api", "base_url"):
        from urllib.parse import urlsplit

        values["host"] = urlsplit(parser.get("api", "base_url")).hostname or "localhost"
    return values


def free_port() -> int:
    """A TCP port nobody listens on now (for a second deployment on one machine)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- secrets ---------------------------------------------------------------------------------


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, atomically (a reader never sees half of it)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def deployment_secrets(home: Path) -> dict[str, str]:
    """The JWT secret and Fernet key, generated once (64 random bytes; a real Fernet key)."""
    path = home / SECRETS_FILE
    if path.exists():
        return json.loads(path.read_text())
    from cryptography.fernet import Fernet

    values = {
        "jwt_secret": secrets.token_urlsafe(64),
        "fernet_key": Fernet.generate_key().decode(),
    }
    _write_private(path, json.dumps(values, indent=2) + "\n")
    return values


def admin_password(home: Path) -> str:
    """The simple auth manager's ``admin`` password, generated into its own 0600 file.

    Written in the auth manager's own format before the api-server starts, so the password is
    known (and printable) at once instead of appearing only in the first start's output.
    """
    path = home / PASSWORDS_FILE
    passwords = json.loads(path.read_text() or "{}") if path.exists() else {}
    if ADMIN_USER not in passwords:
        passwords[ADMIN_USER] = secrets.token_urlsafe(18)
        _write_private(path, json.dumps(passwords) + "\n")
    return passwords[ADMIN_USER]


# --- the generated configuration -------------------------------------------------------------


def config_values(warehouse: str, home: Path, settings: Settings) -> dict[str, dict[str, str]]:
    """Every setting Fangpin decides, by section: what the generated airflow.cfg says."""
    secret = deployment_secrets(home)
    meta = sqlalchemy_url(metadata_url(warehouse))
    values: dict[str, dict[str, str]] = {
        "core": {
            "dags_folder": str(dags_dir()),
            "executor": settings.executor,
            "parallelism": str(settings.parallelism),
            "load_examples": "False",
            "dags_are_paused_at_creation": "True",
            "unit_test_mode": "False",
            "fernet_key": secret["fernet_key"],
            "execution_api_server_url": f"{settings.base_url}/execution/",
            "simple_auth_manager_users": f"{ADMIN_USER}:admin",
            "simple_auth_manager_passwords_file": str(home / PASSWORDS_FILE),
            "hostname_callable": "fangpin.orchestration.airflow_env.worker_hostname",
        },
        "database": {"sql_alchemy_conn": meta},
        "api": {"base_url": settings.base_url, "port": str(settings.port)},
        "api_auth": {"jwt_secret": secret["jwt_secret"]},
        "logging": {
            "base_log_folder": str(home / "logs"),
            "logging_level": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
        },
        "scheduler": {
            "enable_health_check": "False",
            "task_instance_heartbeat_timeout": str(settings.heartbeat_timeout),
        },
        "celery": {
            "broker_url": settings.celery_broker,
            "result_backend": "db+" + meta,
            "worker_concurrency": str(settings.worker_concurrency),
        },
        "fangpin": {
            "landing": settings.landing,
            "load_cap": str(settings.load_cap),
            "build_pool": BUILD_POOL,
            "max_active_runs": os.environ.get("FANGPIN_MAX_ACTIVE_RUNS", "4"),
            "warehouse_url": warehouse,
            "notify_email_to": settings.notify_email_to,
            "smtp_host": settings.smtp_host,
            "smtp_port": str(settings.smtp_port),
            "smtp_from": settings.smtp_from,
        },
    }
    # What the process environment sets wins in Airflow; write it into the file as well.
    for name, value in os.environ.items():
        if name.startswith("AIRFLOW__") and name.count("__") >= 2:
            _, section, key = name.split("__", 2)
            if (section.lower(), key.lower()) in _PER_PROCESS:
                continue
            values.setdefault(section.lower(), {})[key.lower()] = value
    return values


#: Values that differ per process and so never go into the shared file.
_PER_PROCESS = {("logging", "worker_log_server_port")}


def write_config(warehouse: str, home: Path | None = None,
                 settings: Settings | None = None) -> Path:
    """Write ``$AIRFLOW_HOME/airflow.cfg`` (0600) from the environment; return its path."""
    home = Path(home or airflow_home())
    home.mkdir(parents=True, exist_ok=True)
    settings = settings or Settings.from_env(home)
    parser = configparser.ConfigParser(interpolation=None)
    for section, items in config_values(warehouse, home, settings).items():
        parser[section] = items
    admin_password(home)
    from io import StringIO

    text = StringIO()
    text.write(
        "# Generated by fangpin (include/fangpin/orchestration/airflow_env.py) from FANGPIN_*\n"
        "# and AIRFLOW__* variables; rewritten on every `fangpin airflow …`: change those, not\n"
        "# this file. Holds secrets: keep it 0600.\n"
    )
    parser.write(text)
    path = home / CONFIG_FILE
    _write_private(path, text.getvalue())
    _write_local_settings(home)
    return path


_LOCAL_SETTINGS = '''"""Generated by fangpin (airflow_env.py); every Airflow process imports it.

providers-standard 1.21's PythonSensor (behind @task.sensor) imports a deprecated Airflow helper
before any DAG file is parsed, so without this filter every task log carries the same warning.
"""
import warnings

warnings.filterwarnings(
    "ignore", message=r"The `airflow\\.utils\\.operator_helpers\\.determine_kwargs`")
'''


def _write_local_settings(home: Path) -> None:
    """``$AIRFLOW_HOME/config/airflow_local_settings.py``, unless someone wrote their own."""
    path = home / "config" / "airflow_local_settings.py"
    if path.exists() and "Generated by fangpin" not in path.read_text():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_LOCAL_SETTINGS)


def environment(warehouse: str, home: Path | None = None,
                settings: Settings | None = None) -> dict[str, str]:
    """The environment of every Airflow process Fangpin starts (writes the config first).

    Besides ``AIRFLOW_HOME`` it carries what the *tasks* need (the warehouse, the project) and
    ``FANGPIN_DEPLOYED=1``: a task in such a process never starts an embedded warehouse. The
    venv's ``bin`` goes first on ``PATH`` because ``airflow standalone`` starts its
    components as ``airflow …``.
    """
    home = Path(home or airflow_home())
    write_config(warehouse, home, settings or Settings.from_env(home))
    venv_bin = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW_CONFIG": str(home / CONFIG_FILE),
        "WAREHOUSE_URL": warehouse,
        "FANGPIN_HOME": str(project_root()),
        "FANGPIN_DEPLOYED": "1",
        "PATH": venv_bin + os.pathsep + path if venv_bin not in path.split(os.pathsep) else path,
        "GX_ANALYTICS_ENABLED": "False",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def configure(warehouse: str, home: Path | None = None) -> dict[str, str]:
    """Put Airflow's configuration into this process's environment (before importing Airflow)."""
    env = environment(warehouse, home)
    os.environ.update(env)
    return env


def migrate(warehouse: str, env: dict[str, str] | None = None) -> None:
    """Create and migrate the metadata database and the build pool; cheap when current."""
    ensure_database(metadata_url(warehouse))
    env = {**os.environ, **(env or environment(warehouse))}
    _airflow(["db", "migrate"], env)
    if not _pool_exists(warehouse):
        _airflow(["pools", "set", BUILD_POOL, "1",
                  "fangpin: one month's transform, audit and publish at a time"], env)


def _pool_exists(warehouse: str) -> bool:
    with connect(metadata_url(warehouse)) as conn:
        row = conn.execute("select slots from slot_pool where pool = %s", (BUILD_POOL,)).fetchone()
    return bool(row and row[0] == 1)


def _airflow(args: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run([airflow_executable(), *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
        raise RuntimeError(f"airflow {' '.join(args[:2])} failed:\n{tail}")


def airflow_executable() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def worker_command(name: str, log_port: int) -> list[str]:
    """The command of one Celery worker: the compose file and the Celery test both run it."""
    return ["fangpin", "airflow", "worker", "--name", name, "--log-port", str(log_port)]


def worker_hostname() -> str:
    """Airflow's ``hostname_callable``: a worker's own name, so two on one host differ.

    ``fangpin airflow worker --name`` sets ``FANGPIN_WORKER_NAME``; other processes report the
    machine's name as Airflow would.
    """
    return os.environ.get("FANGPIN_WORKER_NAME") or socket.getfqdn()
