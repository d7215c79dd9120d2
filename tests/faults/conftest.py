"""Fixtures of the fault suite (helpers in faultkit.py): a small province, a fresh warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from faultkit import HOUSEHOLDS, MONTHS, SEED, Warehouse, new_warehouse


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fangpin.synth import write_province

    out = tmp_path_factory.mktemp("landing")
    write_province(out, households=HOUSEHOLDS, months=MONTHS, seed=SEED, messy=0.0)
    return out


@pytest.fixture(scope="module")
def warehouse(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from new_warehouse(server_url, tmp_path_factory)
