"""Two ``fangpin run`` at once: the second waits or stops with one line, never interleaves.

The trial: runs of 2022-10 and 2022-11 started together both printed ``published``, their
dbt builds collided, and the later publish removed the other month; two runs of one month
ended in an Airflow IntegrityError traceback. Here the first run is held in its dbt build
(a fault point that sleeps, then carries on) while the second starts.
"""

from __future__ import annotations

import time

import pytest
from faultkit import MONTHS, Warehouse, assert_one_line, open_stages, published_months

pytestmark = [pytest.mark.slow, pytest.mark.faults]
JAN, FEB, MAR = MONTHS


def test_a_second_run_of_the_same_month_stops_at_once_with_one_line(
    warehouse: Warehouse, landing,  # noqa: ANN001
) -> None:
    first = warehouse.start("run", "--landing", str(landing), "--months", "2021-01",
                            point="transform", sleep=25)
    first.wait_for_point()
    started = time.monotonic()
    second = warehouse.run("run", "--landing", str(landing), "--months", "2021-01")
    waited = time.monotonic() - started

    assert second.returncode == 3, second.stderr[-3000:]
    line = assert_one_line(second.stderr)
    assert "the warehouse is busy" in line and "fangpin run" in line
    assert waited < 25, "the second run must stop at once, not wait for the first"
    assert first.finish() == 0, first.stderr()[-3000:]
    assert published_months(warehouse) == [JAN]


def test_two_runs_of_different_months_one_waiting_publish_both_one_after_the_other(
    warehouse: Warehouse, landing,  # noqa: ANN001
) -> None:
    first = warehouse.start("run", "--landing", str(landing), "--months", "2021-02",
                            point="transform", sleep=10)
    first.wait_for_point()
    second = warehouse.start("run", "--landing", str(landing), "--months", "2021-03", "--wait")

    assert first.finish() == 0, first.stderr()[-3000:]
    assert second.finish() == 0, second.stderr()[-3000:]
    assert "2021-03: published" in second.stdout()
    assert published_months(warehouse) == [JAN, FEB, MAR]
    # Not interleaved: every stage of March came after the last stage of February.
    feb_end, mar_start = warehouse.query(
        "select max(logged_at) filter (where month = %s), min(logged_at) filter "
        "(where month = %s) from ops.run_log", FEB, MAR)[0]
    assert feb_end < mar_start
    assert open_stages(warehouse) == []
