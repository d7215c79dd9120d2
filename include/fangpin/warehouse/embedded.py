"""An embedded PostgreSQL cluster inside the project, for when no ``WAREHOUSE_URL`` is given.

PostgreSQL refuses to run as root, and sessions and CI run as root; so when we are root the
data folder is handed to the ``postgres`` system user and the server binaries run through
``runuser``. The cluster listens on 127.0.0.1 on a free port chosen at first start and kept
in ``port`` beside the data, so that the URL stays the same across restarts.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from fangpin.config import project_root

DATABASE = "fangpin"
SUPERUSER = "postgres"
_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class PostgresNotInstalled(RuntimeError):
    """The server binaries are missing: say what to install rather than fail obscurely."""


@dataclass(frozen=True)
class EmbeddedWarehouse:
    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "pgdata"

    @property
    def port_file(self) -> Path:
        return self.root / "port"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def port(self) -> int:
        return int(self.port_file.read_text().strip())

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists() and self.port_file.exists()

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        result = _run_as_owner([_bin("pg_ctl"), "-D", str(self.data_dir), "status"], check=False)
        return result.returncode == 0

    def start(self) -> str:
        """Initialise on first use, start if stopped, create the database; return its URL."""
        if not self.is_initialised():
            self._initdb()
        if not self.is_running():
            _run_as_owner(
                [
                    _bin("pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-o",
                    f"-p {self.port} -k {self.data_dir}",
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            )
        _wait_for_port(self.port)
        self._ensure_database(DATABASE)
        return self.url()

    def stop(self) -> None:
        if self.is_running():
            _run_as_owner([_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])

    def status(self) -> str:
        if not self.is_initialised():
            return f"not initialised ({self.data_dir})"
        state = "running" if self.is_running() else "stopped"
        return f"{state} at {self.url()} (data {self.data_dir})"

    def _initdb(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir(mode=0o700)
        _hand_to_owner(self.root)
        _run_as_owner(
            [
                _bin("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        )
        conf = self.data_dir / "postgresql.conf"
        with conf.open("a") as fh:
            fh.write(_TUNING)
        self.port_file.write_text(str(_free_port()))

    def _ensure_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "select 1 from pg_database where datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'create database "{name}"')


_TUNING = """
# fangpin embedded warehouse: sized for a 2-core, 24 GiB machine running batch loads
listen_addresses = '127.0.0.1'
max_connections = 200
shared_buffers = 2GB
work_mem = 64MB
maintenance_work_mem = 512MB
effective_cache_size = 8GB
max_wal_size = 8GB
checkpoint_timeout = 30min
synchronous_commit = off
wal_level = minimal
max_wal_senders = 0
jit = off
"""


def default() -> EmbeddedWarehouse:
    return EmbeddedWarehouse(
        Path(os.environ.get("FANGPIN_WAREHOUSE_DIR") or project_root() / ".warehouse")
    )


def _bin(name: str) -> str:
    for folder in _BIN_CANDIDATES:
        candidate = folder / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise PostgresNotInstalled(
        f"PostgreSQL server binary '{name}' not found. Install the server "
        "(Debian/Ubuntu: `apt-get install postgresql`), or set WAREHOUSE_URL to an existing server."
    )


def _is_root() -> bool:
    return os.geteuid() == 0


def _hand_to_owner(path: Path) -> None:
    """As root, hand the cluster folder to ``postgres`` and make its parents traversable."""
    if not _is_root():
        return
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresNotInstalled(
            "Running as root needs the 'postgres' system user to own the embedded cluster; "
            "install PostgreSQL (`apt-get install postgresql`) or set WAREHOUSE_URL."
        ) from exc
    for dirpath, _dirs, files in os.walk(path):
        os.chown(dirpath, owner.pw_uid, owner.pw_gid)
        for name in files:
            os.chown(os.path.join(dirpath, name), owner.pw_uid, owner.pw_gid)
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)


def _run_as_owner(cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    if _is_root():
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"embedded PostgreSQL did not open port {port} within {timeout}s")
