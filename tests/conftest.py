"""Shared fixtures: one PostgreSQL server per test session, a fresh database per use.

The server is ``WAREHOUSE_URL``'s when that is set, else the project's embedded cluster (locked:
its URL carries the generated superuser password).
Every database a test makes is created here with a unique name and dropped afterwards:
no test reuses a fixed database.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Airflow reads its configuration when first imported: give the test session its own home
# (never ~/airflow, never the project's) before any test module imports it.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="fangpin-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parents[1] / "dags")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
# Every test database gets its own generated pseudonym key (fangpin.warehouse.pseudonym_key):
# keep those key files with the session, not in the project's .secrets/.
os.environ["FANGPIN_SECRETS_DIR"] = tempfile.mkdtemp(prefix="fangpin-secrets-")

from fangpin.warehouse.connection import (  # noqa: E402 - after the Airflow env
    drop_database,
    ensure_database,
    warehouse_url,
    with_database,
)


@pytest.fixture(scope="session")
def server_url() -> str:
    """A URL on the test server (any database); the embedded cluster starts if needed."""
    return warehouse_url()


def _new_database(server_url: str, prefix: str) -> str:
    url = with_database(server_url, f"{prefix}_{uuid.uuid4().hex[:10]}")
    ensure_database(url)
    return url


@pytest.fixture
def empty_db(server_url: str) -> Iterator[str]:
    """A brand-new, empty database, dropped after the test."""
    url = _new_database(server_url, "fangpin_t")
    yield url
    drop_database(url)


@pytest.fixture
def warehouse_db(server_url: str) -> Iterator[str]:
    """A new database with the warehouse set up (schemas, ops, raw tables, roles)."""
    from fangpin.pipeline.setup import ensure_warehouse

    url = _new_database(server_url, "fangpin_t")
    ensure_warehouse(url)
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def module_warehouse_db(server_url: str) -> Iterator[str]:
    """Like ``warehouse_db`` but shared by one test module (for slower builds)."""
    from fangpin.pipeline.setup import ensure_warehouse

    url = _new_database(server_url, "fangpin_m")
    ensure_warehouse(url)
    yield url
    drop_database(url)


#: The level marker of each test folder (declared in pyproject; `--strict-markers` is on).
#: tests/faults, tests/deploy and tests/bi mark their modules themselves (faults, deploy, bi).
LEVELS = {"unit": "unit", "db": "db", "dag": "dag", "e2e": "e2e", "bench": "bench"}
_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with its level, from its folder: ``make test-unit`` is ``-m unit``."""
    for item in items:
        folder = item.path.resolve().relative_to(_TESTS).parts[0]
        level = LEVELS.get(folder)
        if level is not None:
            item.add_marker(level)
