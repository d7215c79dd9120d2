"""The generated Airflow configuration: one file that tells the truth, secrets kept 0600."""

from __future__ import annotations

import configparser
import os
import stat
from pathlib import Path

import pytest

from fangpin.orchestration import airflow_env

URL = "postgresql://fangpin:pw@db.example:5432/fangpin"


def _cfg(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return parser


def test_the_generated_cfg_names_the_real_database_dags_port_and_executor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW__CORE__EXECUTOR", raising=False)
    settings = airflow_env.Settings.from_env(port=8123, executor="CeleryExecutor",
                                             parallelism=6, landing="/data/landing")
    path = airflow_env.write_config(URL, tmp_path, settings)
    cfg = _cfg(path)
    conn = cfg["database"]["sql_alchemy_conn"]
    assert conn == "postgresql+psycopg://fangpin:pw@db.example:5432/fangpin_airflow"
    assert "sqlite" not in path.read_text()
    assert Path(cfg["core"]["dags_folder"]).joinpath("fangpin_monthly.py").exists()
    assert cfg["core"]["executor"] == "CeleryExecutor"
    assert cfg["core"]["parallelism"] == "6"
    assert cfg["core"]["dags_are_paused_at_creation"] == "True"
    assert cfg["api"]["base_url"] == "http://localhost:8123"
    assert cfg["core"]["execution_api_server_url"] == "http://localhost:8123/execution/"
    assert cfg["fangpin"]["landing"] == "/data/landing"
    assert cfg["fangpin"]["build_pool"] == airflow_env.BUILD_POOL


def test_secrets_are_strong_stable_and_only_the_owner_reads_them(tmp_path: Path) -> None:
    path = airflow_env.write_config(URL, tmp_path, airflow_env.Settings())
    first = _cfg(path)
    jwt = first["api_auth"]["jwt_secret"]
    assert len(jwt) >= 64, "a short JWT secret raises InsecureKeyLengthWarning"
    from cryptography.fernet import Fernet

    Fernet(first["core"]["fernet_key"].encode())  # a real key, or this raises
    for name in (airflow_env.CONFIG_FILE, airflow_env.SECRETS_FILE, airflow_env.PASSWORDS_FILE):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    airflow_env.write_config(URL, tmp_path, airflow_env.Settings())
    again = _cfg(path)
    assert again["api_auth"]["jwt_secret"] == jwt, "regenerating keeps the secrets"
    assert len(airflow_env.admin_password(tmp_path)) >= 20


def test_an_airflow_variable_in_the_environment_is_written_into_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC", "3")
    monkeypatch.setenv("AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", "8795")
    cfg = _cfg(airflow_env.write_config(URL, tmp_path, airflow_env.Settings()))
    assert cfg["scheduler"]["scheduler_heartbeat_sec"] == "3"
    assert "worker_log_server_port" not in cfg["logging"], "per-worker values stay per worker"


def test_the_environment_puts_the_venv_on_path_and_marks_the_process_deployed(
    tmp_path: Path,
) -> None:
    import sys

    env = airflow_env.environment(URL, tmp_path, airflow_env.Settings())
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent) or (
        str(Path(sys.executable).parent) in env["PATH"].split(os.pathsep))
    assert env["FANGPIN_DEPLOYED"] == "1"
    assert env["AIRFLOW_CONFIG"] == str(tmp_path / "airflow.cfg")
    assert env["WAREHOUSE_URL"] == URL


def test_workers_report_their_own_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANGPIN_WORKER_NAME", "worker-7")
    assert airflow_env.worker_hostname() == "worker-7"
    assert airflow_env.worker_command("w", 8794) == [
        "fangpin", "airflow", "worker", "--name", "w", "--log-port", "8794"]


def test_a_deployed_process_without_a_warehouse_never_starts_an_embedded_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from fangpin.warehouse import connection

    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    monkeypatch.setenv("FANGPIN_DEPLOYED", "1")
    monkeypatch.setenv("FANGPIN_WAREHOUSE_DIR", str(tmp_path / "must-not-appear"))
    with pytest.raises(connection.WarehouseNotConfigured, match="WAREHOUSE_URL"):
        connection.warehouse_url()
    assert not (tmp_path / "must-not-appear").exists()


def test_each_run_gets_its_own_dbt_target_and_log_folders() -> None:
    from datetime import date

    from fangpin.transform.dbt import run_folders

    a = run_folders(date(2021, 1, 1), "backfill__2021-02-06T03:00:00+00:00")
    b = run_folders(date(2021, 2, 1), "backfill__2021-03-06T03:00:00+00:00")
    c = run_folders(date(2021, 1, 1), "manual__2026-12-02T10:00:00+00:00")
    assert len({a, b, c}) == 3
    assert a[0] != a[1] and "2021-01" in str(a[0]) and ":" not in a[0].name


def test_a_later_command_keeps_what_the_first_chose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`standalone --port 8091`, then `fangpin airflow dags list` or a worker: still 8091."""
    monkeypatch.delenv("FANGPIN_AIRFLOW_PORT", raising=False)
    monkeypatch.delenv("FANGPIN_CELERY_BROKER", raising=False)
    airflow_env.write_config(URL, tmp_path, airflow_env.Settings.from_env(
        tmp_path, port=8091, celery_broker="redis://127.0.0.1:6379/7"))
    again = airflow_env.Settings.from_env(tmp_path)
    assert (again.port, again.celery_broker) == (8091, "redis://127.0.0.1:6379/7")
    monkeypatch.setenv("FANGPIN_AIRFLOW_PORT", "8092")
    assert airflow_env.Settings.from_env(tmp_path).port == 8092, "a variable set changes it"
