"""Fixtures of the fault suite (helpers in faultkit.py): a small province, a fresh warehouse."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultkit import HOUSEHOLDS, MONTHS, SEED, Warehouse

from fangpin.orchestration.airflow_env import metadata_url
from fangpin.warehouse.connection import drop_database, ensure_database, with_database


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fangpin.synth import write_province

    out = tmp_path_factory.mktemp("landing")
    write_province(out, households=HOUSEHOLDS, months=MONTHS, seed=SEED, messy=0.0)
    return out


@pytest.fixture(scope="module")
def warehouse(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from new_warehouse(server_url, tmp_path_factory)


def new_warehouse(server_url: str, factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    url = with_database(server_url, f"fangpin_fault_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    tmp = factory.mktemp("fault-run")
    yield Warehouse(url, tmp / "airflow", tmp)
    drop_database(url)
    drop_database(metadata_url(url))
