"""What a run checks before it works: landing area, month, and whose build it is."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from fangpin.pipeline.dag_support import LandingMissing, NoMonth, check_landing, run_month


def _registry(landing: Path, month: str) -> None:
    for feed in ("registry_households", "registry_members"):
        (landing / month / feed).mkdir(parents=True)
        (landing / month / feed / f"{feed}.csv").write_text("x\n")


def test_a_missing_landing_folder_fails_naming_it(tmp_path: Path) -> None:
    with pytest.raises(LandingMissing, match=str(tmp_path / "nope")):
        check_landing(tmp_path / "nope")


def test_the_month_param_then_the_schedule_then_the_latest_registry(tmp_path: Path) -> None:
    _registry(tmp_path, "2021-02")
    _registry(tmp_path, "2021-03")
    (tmp_path / "2021-04" / "education").mkdir(parents=True)  # no registry yet
    assert run_month("2021-01", None, tmp_path) == date(2021, 1, 1)
    assert run_month(None, datetime(2021, 7, 6, 3, tzinfo=UTC), tmp_path) == date(2021, 6, 1)
    assert run_month(None, None, tmp_path) == date(2021, 3, 1)
    shutil.rmtree(tmp_path / "2021-02")
    shutil.rmtree(tmp_path / "2021-03")
    with pytest.raises(NoMonth, match="`month` param"):
        run_month(None, None, tmp_path)


def test_a_backfill_month_waits_for_the_month_before_and_stops_after_its_failure() -> None:
    from types import SimpleNamespace as Run

    from fangpin.pipeline.dag_support import EarlierMonthFailed, earlier_month_verdict

    now = datetime(2026, 12, 2, 21, tzinfo=UTC)
    backfill = Run(run_type="backfill", start_date=now)
    assert earlier_month_verdict(Run(run_type="manual"), Run(state="running")) == "go"
    assert earlier_month_verdict(backfill, None) == "go"
    assert earlier_month_verdict(backfill, Run(state="running", run_id="a")) == "wait"
    assert earlier_month_verdict(backfill, Run(state="queued", run_id="a")) == "wait"
    assert earlier_month_verdict(backfill, Run(state="success", run_id="a")) == "go"
    with pytest.raises(EarlierMonthFailed, match="run a failed"):
        earlier_month_verdict(backfill, Run(state="failed", run_id="a", end_date=now))
    old_failure = Run(state="failed", run_id="a", end_date=datetime(2026, 1, 1, tzinfo=UTC))
    assert earlier_month_verdict(backfill, old_failure) == "go", "not this backfill's"


def test_the_verdict_reads_the_task_sdks_own_enums() -> None:
    """``str()`` of the SDK's DagRunType is ``DagRunType.BACKFILL``: the check must not miss it."""
    from types import SimpleNamespace as Run

    from airflow.sdk.api.datamodels._generated import DagRunState, DagRunType

    from fangpin.pipeline.dag_support import earlier_month_verdict

    this = Run(run_type=DagRunType.BACKFILL, start_date=datetime(2026, 12, 2, tzinfo=UTC))
    assert earlier_month_verdict(this, Run(state=DagRunState.RUNNING, run_id="a")) == "wait"
