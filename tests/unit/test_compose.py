"""docker-compose.yml checked statically: no Docker engine runs on the CI machine."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_warehouse_and_every_airflow3_component() -> None:
    services = _compose()["services"]
    for name in (
        "postgres",
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-init",
    ):
        assert name in services, name
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["airflow-api-server"]["command"] == ["airflow", "api-server"]
    assert services["airflow-dag-processor"]["command"] == ["airflow", "dag-processor"]


def test_airflow_services_share_one_configuration_pointing_at_the_warehouse() -> None:
    services = _compose()["services"]
    for name, svc in services.items():
        if not name.startswith("airflow-"):
            continue
        env = svc["environment"]
        assert env["WAREHOUSE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/fangpin/dags"
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"


def test_startup_waits_for_a_healthy_database_and_a_migrated_metadata_db() -> None:
    services = _compose()["services"]
    init = services["airflow-init"]
    assert init["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "airflow db migrate" in " ".join(init["command"])
    for name in (
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    ):
        cond = services[name]["depends_on"]["airflow-init"]["condition"]
        assert cond == "service_completed_successfully"


def test_the_image_builds_from_files_that_exist() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "apache/airflow:3.3.2" in dockerfile
    for line in dockerfile.splitlines():
        if line.startswith("COPY"):
            for src in line.split()[2:-1] if "--chown" in line else line.split()[1:-1]:
                assert (ROOT / src).exists(), src
    assert (ROOT / "docker/initdb/01-airflow-db.sql").exists()
