"""What a run does first and how it decides which months to build (fangpin.pipeline).

Database tests: the dead runs' leftovers cleared, a stage waiting for the writer lock, the
plan of months over a hand-made landing area and load history, the status of a delivery.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from fangpin.pipeline.housekeeping import clear_dead_runs
from fangpin.pipeline.monthly import stage
from fangpin.pipeline.plan import PlanError, plan_months
from fangpin.pipeline.status import status
from fangpin.warehouse.writer_lock import writer_lock

JAN, FEB, MAR = date(2021, 1, 1), date(2021, 2, 1), date(2021, 3, 1)
BUILT = datetime(2021, 4, 10, tzinfo=UTC)


def _log(url: str, rows: list[tuple]) -> None:
    with psycopg.connect(url) as conn:
        for run_id, month, stage_name, state in rows:
            conn.execute("insert into ops.run_log (run_id, month, stage, status) "
                         "values (%s, %s, %s, %s)", (run_id, month, stage_name, state))


def test_dead_stages_are_marked_abandoned_and_the_audit_copies_dropped(warehouse_db: str):
    _log(warehouse_db, [
        ("run-a", JAN, "transform", "started"), ("run-a", JAN, "transform", "succeeded"),
        ("run-a", JAN, "audit", "started"),  # killed here
        ("run-b", FEB, "load:water", "started"), ("run-b", FEB, "load:water", "failed"),
        ("run-b", FEB, "load:water", "started"),  # the retry died
    ])
    with psycopg.connect(warehouse_db) as conn:
        conn.execute("create schema audit_batch")
        conn.execute("create unlogged table audit_batch.raw__registry as select 1 as id_number")

    dead = clear_dead_runs(warehouse_db, noticed_by="run-c")

    assert sorted(dead) == ["2021-01 audit (run run-a)", "2021-02 load:water (run run-b)"]
    with psycopg.connect(warehouse_db) as conn:
        assert conn.execute("select to_regnamespace('audit_batch')").fetchone()[0] is None
        detail = conn.execute("select detail from ops.run_log where status = 'abandoned' "
                              "order by run_log_id limit 1").fetchone()[0]
    assert "noticed by run run-c" in detail
    assert clear_dead_runs(warehouse_db, noticed_by="run-d") == []


def test_a_stage_waits_for_the_writer_lock_and_records_its_start_only_once_it_holds_it(
    warehouse_db: str,
):
    held, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with writer_lock(warehouse_db, "another DAG run's transform"):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=other_writer)
    holder.start()
    held.wait(10)

    def our_stage() -> None:
        with stage(warehouse_db, "run-x", JAN, "transform"):
            pass

    ours = threading.Thread(target=our_stage)
    ours.start()
    time.sleep(3)
    with psycopg.connect(warehouse_db) as conn:
        assert conn.execute("select count(*) from ops.run_log").fetchone()[0] == 0
    release.set()
    holder.join(10)
    ours.join(30)
    with psycopg.connect(warehouse_db) as conn:
        states = [r[0] for r in conn.execute("select status from ops.run_log order by 1")]
    assert states == ["started", "succeeded"]


# --- the plan ------------------------------------------------------------------------------


def _deliver(landing: Path, month: date, feed: str, content: str) -> str:
    folder = landing / f"{month:%Y-%m}" / feed
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{feed}.csv"
    path.write_text(content, encoding="utf-8")
    return hashlib.sha256(content.encode()).hexdigest()


def _loaded(url: str, month: date, feed: str, checksum: str, status_: str = "loaded",
            finished: datetime = BUILT - timedelta(hours=1)) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into ops.load_history (feed, month, file_name, file_path, checksum, status, "
            "finished_at, run_id) values (%s, %s, 'f.csv', 'f.csv', %s, %s, %s, 'r')",
            (feed, month, checksum, status_, finished),
        )


def _published(url: str, months: list[date]) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("create table marts.dim_month (month date, built_at timestamptz, "
                     "built_by_run_id text, is_build_month boolean)")
        for month in months:
            conn.execute("insert into marts.dim_month values (%s, %s, 'r', false)",
                         (month, BUILT))


@pytest.fixture
def three_months(warehouse_db: str, tmp_path: Path) -> tuple[str, Path]:
    for month in (JAN, FEB, MAR):
        for feed in ("registry_households", "housing"):
            _loaded(warehouse_db, month, feed, _deliver(tmp_path, month, feed, f"{month} {feed}"))
    _published(warehouse_db, [JAN, FEB, MAR])
    return warehouse_db, tmp_path


def _actions(plans) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(f"{p.month:%Y-%m}", p.action) for p in plans]


def test_nothing_is_rebuilt_when_no_delivery_changed(three_months):  # noqa: ANN001
    url, landing = three_months
    plans = plan_months(url, landing, None)
    assert _actions(plans) == [("2021-01", "skip"), ("2021-02", "skip"), ("2021-03", "skip")]
    assert "deliveries unchanged since it was built" in plans[0].reason


def test_a_corrected_delivery_rebuilds_its_month_and_every_later_one(three_months):  # noqa: ANN001
    url, landing = three_months
    _deliver(landing, FEB, "housing", "corrected")

    plans = plan_months(url, landing, None)

    assert _actions(plans) == [("2021-01", "skip"), ("2021-02", "rebuild"),
                               ("2021-03", "rebuild")]
    assert "delivered again with other bytes: housing" in plans[1].reason
    assert "after 2021-02" in plans[2].reason


def test_a_later_month_is_rebuilt_even_when_the_selection_leaves_it_out(three_months):  # noqa: ANN001
    url, landing = three_months
    _deliver(landing, FEB, "housing", "corrected")

    assert _actions(plan_months(url, landing, [FEB])) == [("2021-02", "rebuild"),
                                                          ("2021-03", "rebuild")]


def test_an_unchanged_month_asked_for_is_rebuilt_alone(three_months):  # noqa: ANN001
    url, landing = three_months
    plans = plan_months(url, landing, [JAN])
    assert _actions(plans) == [("2021-01", "rebuild")]
    assert "asked for" in plans[0].reason


def test_a_month_asked_for_builds_the_unpublished_months_before_it_first(
    warehouse_db: str, tmp_path: Path,
):
    """``--months 2021-03`` with January published and February never built: February is
    built first, so March is never published with a hole before it."""
    for month in (JAN, FEB, MAR):
        _loaded(warehouse_db, month, "registry_households",
                _deliver(tmp_path, month, "registry_households", f"{month}"))
    _published(warehouse_db, [JAN])

    plans = plan_months(warehouse_db, tmp_path, [MAR])

    assert _actions(plans) == [("2021-02", "build"), ("2021-03", "build")]
    assert "no month is published with an earlier month of the landing area missing" in (
        plans[0].reason
    )


def test_a_file_rejected_before_changes_nothing(three_months):  # noqa: ANN001
    url, landing = three_months
    _loaded(url, FEB, "housing", _deliver(landing, FEB, "housing", "bad bytes"), "rejected")
    assert [p.action for p in plan_months(url, landing, None)] == ["skip"] * 3


def test_a_month_built_before_an_earlier_correction_was_loaded_is_stale(three_months):  # noqa: ANN001
    url, landing = three_months
    # A run loaded February's correction and rebuilt February, then died before March.
    checksum = _deliver(landing, FEB, "housing", "corrected")
    with psycopg.connect(url) as conn:
        conn.execute("update ops.load_history set status = 'superseded' "
                     "where month = %s and feed = 'housing'", (FEB,))
        conn.execute("update marts.dim_month set built_at = %s where month = %s",
                     (BUILT + timedelta(hours=2), FEB))
    _loaded(url, FEB, "housing", checksum, finished=BUILT + timedelta(hours=1))

    plans = plan_months(url, landing, None)

    assert _actions(plans) == [("2021-01", "skip"), ("2021-02", "skip"), ("2021-03", "rebuild")]
    assert "built before deliveries it reads were loaded: housing 2021-02" in plans[2].reason


def test_a_published_month_missing_from_the_landing_area_stops_the_plan(three_months):  # noqa: ANN001
    url, landing = three_months
    _deliver(landing, JAN, "housing", "corrected")
    for path in sorted((landing / "2021-03").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (landing / "2021-03").rmdir()

    with pytest.raises(PlanError, match="2021-03 is published and reads 2021-01"):
        plan_months(url, landing, None)


def test_status_counts_the_files_of_the_current_delivery_only(warehouse_db: str):
    for _ in range(2):  # delivered, then the same bytes skipped by a rerun
        for name in ("a", "b"):
            _loaded(warehouse_db, JAN, "water", name, status_="loaded" if _ == 0 else "skipped")

    rows = [r for r in status(warehouse_db).rows if r.kind == "load"]

    assert len(rows) == 1 and rows[0].detail.startswith("2 files")
