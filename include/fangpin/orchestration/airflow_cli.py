"""``fangpin airflow …``: Airflow with Fangpin's configuration.

- ``fangpin airflow init [--port P]``: write ``$AIRFLOW_HOME/airflow.cfg`` and the secrets,
  migrate the metadata database, create the build pool, print how to log in;
- ``fangpin airflow standalone [--port P]``: the same, then every component on this machine;
- ``fangpin airflow worker --name N --log-port P``: one Celery worker named ``N`` whose log
  server listens on ``P`` (two workers on one host must differ in both);
- ``fangpin airflow ARGS…``: any other ``airflow`` command (``dags list``, ``backfill create``).

``--port 0`` picks a free port. Every component gets the venv's ``bin`` on ``PATH``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from fangpin.orchestration import airflow_env


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command in ("init", "standalone"):
        return _init_or_standalone(command, argv[1:])
    if command == "worker":
        return _worker(argv[1:])
    url = _warehouse()
    env = {**os.environ, **airflow_env.environment(url)}
    airflow_env.migrate(url, env)
    _exec([airflow_env.airflow_executable(), *argv], env)
    return 0  # pragma: no cover - exec does not return


def _warehouse() -> str:
    from fangpin.warehouse.connection import warehouse_url

    return warehouse_url()


def _init_or_standalone(command: str, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"fangpin airflow {command}")
    parser.add_argument(
        "--port", type=int, default=None,
        help=f"UI and API port (default FANGPIN_AIRFLOW_PORT or {airflow_env.DEFAULT_PORT}; "
        "0: a free port)",
    )
    args = parser.parse_args(argv)
    port = airflow_env.free_port() if args.port == 0 else args.port
    settings = airflow_env.Settings.from_env(port=port)
    url = _warehouse()
    env = {**os.environ, **airflow_env.environment(url, settings=settings)}
    airflow_env.migrate(url, env)
    print(login_help(Path(env["AIRFLOW_HOME"]), settings), flush=True)
    if command == "init":
        return 0
    _exec([airflow_env.airflow_executable(), "standalone"], env)
    return 0  # pragma: no cover


def login_help(home: Path, settings: airflow_env.Settings) -> str:
    """What to type to log in: the UI address, the user and where its password is."""
    passwords = home / airflow_env.PASSWORDS_FILE
    base = settings.base_url
    return "\n".join([
        f"Airflow UI and REST API: {base}",
        f"  configuration: {home / airflow_env.CONFIG_FILE} (generated; 0600)",
        f"  log in as '{airflow_env.ADMIN_USER}', password in {passwords}",
        f"  token: curl -s -X POST {base}/auth/token -H 'Content-Type: application/json' "
        f"-d '{{\"username\": \"admin\", \"password\": \"...\"}}'",
    ])


def _worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="fangpin airflow worker")
    parser.add_argument("--name", required=True, help="the worker's hostname in Airflow")
    parser.add_argument("--log-port", type=int, required=True,
                        help="port of this worker's log server (8793, 8794, …)")
    parser.add_argument("--concurrency", type=int, default=None)
    args = parser.parse_args(argv)
    url = _warehouse()
    env = {
        **os.environ,
        **airflow_env.environment(url),
        "FANGPIN_WORKER_NAME": args.name,
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(args.log_port),
    }
    cmd = [airflow_env.airflow_executable(), "celery", "worker", "--celery-hostname", args.name]
    if args.concurrency:
        cmd += ["--concurrency", str(args.concurrency)]
    _exec(cmd, env)
    return 0  # pragma: no cover


def _exec(cmd: list[str], env: dict[str, str]) -> None:
    os.execvpe(cmd[0], cmd, env)
