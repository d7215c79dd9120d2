"""Airflow's configuration for Fangpin, kept inside the project.

``AIRFLOW_HOME`` is a folder of the project; the metadata lives in its own database
(``<warehouse database>_airflow``) on the warehouse's server, so one PostgreSQL serves both.
Everything is passed as ``AIRFLOW__*`` environment variables, which Airflow reads when it is
first imported: call :func:`configure` before importing anything from Airflow.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fangpin.config import airflow_home, dags_dir, project_root
from fangpin.warehouse.connection import (
    database_name,
    ensure_database,
    sqlalchemy_url,
    with_database,
)


def metadata_url(warehouse: str) -> str:
    return with_database(warehouse, f"{database_name(warehouse)}_airflow")


def environment(warehouse: str, home: Path | None = None) -> dict[str, str]:
    """The ``AIRFLOW__*`` variables for a warehouse; small and local, sized for two cores."""
    home = home or airflow_home()
    return {
        "AIRFLOW_HOME": str(home),
        "WAREHOUSE_URL": warehouse,
        "FANGPIN_HOME": str(project_root()),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url(metadata_url(warehouse)),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_dir()),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__API__BASE_URL": os.environ.get("AIRFLOW__API__BASE_URL", "http://localhost:8080"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get(
            "AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"
        ),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "GX_ANALYTICS_ENABLED": "False",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def configure(warehouse: str, home: Path | None = None) -> dict[str, str]:
    """Put Airflow's configuration into this process's environment (before importing Airflow)."""
    env = environment(warehouse, home)
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.update(env)
    return env


def migrate(warehouse: str) -> None:
    """Create and migrate the metadata database; a no-op when it is already current."""
    ensure_database(metadata_url(warehouse))
    airflow = Path(sys.executable).with_name("airflow")
    env = {**os.environ, **environment(warehouse)}
    proc = subprocess.run([str(airflow), "db", "migrate"], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
        raise RuntimeError(f"airflow db migrate failed:\n{tail}")
