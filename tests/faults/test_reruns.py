"""Reruns: an old month rerun keeps every later month; a corrected delivery rebuilds from it.

The trial: rerunning 2021-02 after 2021-07 was published (same bytes) printed ``published``
and marts fell from 7 months to 2. And issue 13: a month's feed re-delivered after later
months were published must rebuild that month and every later one, skip the others, and end
with the marts a from-scratch run on the corrected files gives.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultkit import (
    MONTHS,
    Warehouse,
    marts_fingerprint,
    new_warehouse,
    open_stages,
    published_months,
)

pytestmark = [pytest.mark.slow, pytest.mark.faults]
JAN, FEB, MAR = MONTHS
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def all_published(warehouse: Warehouse, landing: Path) -> Warehouse:
    started = time.monotonic()
    done = warehouse.run("run", "--landing", str(landing))
    TIMES["full run, 3 months"] = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-4000:]
    assert published_months(warehouse) == MONTHS
    return warehouse


@pytest.fixture(scope="module")
def scratch(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    yield from new_warehouse(server_url, tmp_path_factory)


def test_a_rerun_of_an_old_month_keeps_every_later_month_published(
    all_published: Warehouse, landing: Path,
) -> None:
    before = marts_fingerprint(all_published, without_build_times=True)
    before.pop("dim_month")  # is_build_month moves to January: checked below
    built = dict(all_published.query("select month, built_at from marts.dim_month"))

    done = all_published.run("run", "--landing", str(landing), "--months", "2021-01")

    assert done.returncode == 0, done.stderr[-4000:]
    assert "2021-01: to rebuild: asked for" in done.stdout
    assert published_months(all_published) == MONTHS
    # The same bytes give the same marts, row for row; only January's build time moved.
    after_marts = marts_fingerprint(all_published, without_build_times=True)
    after_marts.pop("dim_month")
    assert after_marts == before
    after = dict(all_published.query("select month, built_at from marts.dim_month"))
    assert after[JAN] > built[JAN] and after[FEB] == built[FEB] and after[MAR] == built[MAR]


def _correct_housing(landing: Path) -> None:
    """February's housing re-sent: the same file without its last record."""
    path = next((landing / "2021-02" / "housing").iterdir())
    data = path.read_bytes()
    body = data.rstrip(b"\r\n")
    path.write_bytes(body[: body.rfind(b"\n") + 1])


def test_a_corrected_delivery_rebuilds_its_month_and_every_later_one_and_nothing_else(
    all_published: Warehouse, landing: Path, scratch: Warehouse,
) -> None:
    _correct_housing(landing)
    started = time.monotonic()
    done = all_published.run("run", "--landing", str(landing))
    TIMES["corrected-delivery rerun"] = time.monotonic() - started

    assert done.returncode == 0, done.stderr[-4000:]
    out = done.stdout
    assert "2021-01: skipped: deliveries unchanged" in out
    assert "2021-02: to rebuild: delivered again with other bytes: housing" in out
    assert "2021-03: to rebuild: after 2021-02" in out
    assert "2021-01: published" not in out
    assert "2021-02: published" in out and "2021-03: published" in out
    assert open_stages(all_published) == []

    # The same pseudonym key as the warehouse it is compared with: each warehouse otherwise
    # generates its own, and every person_key would differ.
    from fangpin.warehouse.pseudonym_key import pseudonym_key

    started = time.monotonic()
    fresh = scratch.run("run", "--landing", str(landing),
                        FANGPIN_PSEUDONYM_KEY=pseudonym_key(all_published.url))
    TIMES["from-scratch run on the corrected files"] = time.monotonic() - started
    assert fresh.returncode == 0, fresh.stderr[-4000:]
    assert marts_fingerprint(all_published, without_build_times=True) == marts_fingerprint(
        scratch, without_build_times=True)
    print("timings (s):", {k: round(v, 1) for k, v in TIMES.items()})


def test_a_run_with_nothing_changed_builds_nothing(all_published: Warehouse,
                                                  landing: Path) -> None:
    done = all_published.run("run", "--landing", str(landing))
    assert done.returncode == 0, done.stderr[-4000:]
    assert "nothing to build" in done.stdout
    assert done.stdout.count(": skipped: deliveries unchanged") == 3
