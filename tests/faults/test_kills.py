"""``kill -9`` of a ``fangpin run`` at each stage leaves the warehouse as it was.

One warehouse for the module: January is published, then February's run is killed at each
fault point in turn - in a feed's load transaction, while dbt builds, in the middle of the
audit, in the publish stage and between the two renames of the swap. After each kill the
marts are exactly January's; the last test reruns February and checks that it publishes
and that nothing the dead runs left (audit copies, open stages) survives.
"""

from __future__ import annotations

import pytest
from faultkit import (  # noqa: F401 - landing and warehouse are fixtures
    MONTHS,
    Warehouse,
    audit_batch_exists,
    marts_fingerprint,
    open_stages,
    published_months,
    sessions_besides_ours,
)

pytestmark = [pytest.mark.slow, pytest.mark.faults]
JAN, FEB = MONTHS[0], MONTHS[1]


@pytest.fixture(scope="module")
def january(warehouse: Warehouse, landing) -> dict:  # noqa: ANN001
    done = warehouse.run("run", "--landing", str(landing), "--months", f"{JAN:%Y-%m}")
    assert done.returncode == 0, done.stderr[-4000:]
    assert published_months(warehouse) == [JAN]
    return marts_fingerprint(warehouse)


def _kill_february_at(warehouse: Warehouse, landing, point: str) -> None:  # noqa: ANN001
    started = warehouse.start("run", "--landing", str(landing), "--months", f"{FEB:%Y-%m}",
                              point=point)
    started.wait_for_point()
    started.kill()
    # The dbt child dies with its parent, and every session of the dead run is gone.
    assert sessions_besides_ours(warehouse) == 0


@pytest.mark.parametrize("point", ["load", "transform", "audit", "publish", "swap"])
def test_a_run_killed_at_each_stage_leaves_the_published_marts_as_they_were(
    warehouse: Warehouse, landing, january: dict, point: str,  # noqa: ANN001
) -> None:
    _kill_february_at(warehouse, landing, point)
    assert marts_fingerprint(warehouse) == january
    assert open_stages(warehouse), "the dead run's stage is still open until the next run"
    if point == "load":
        # The load's transaction rolled back: not a row, not a history line of February.
        assert warehouse.scalar("select count(*) from ops.load_history where month = %s",
                                FEB) == 0
        assert warehouse.scalar("select count(*) from raw.registry_households "
                                "where _snapshot_month = %s", FEB) == 0
    if point == "audit":
        assert audit_batch_exists(warehouse), "the killed audit's copies are the debris"
    if point == "swap":
        assert warehouse.scalar("select count(*) from ops.publish_log where month = %s "
                                "and status = 'published'", FEB) == 0


def test_the_rerun_after_the_kills_publishes_and_clears_what_they_left(
    warehouse: Warehouse, landing, january: dict,  # noqa: ANN001
) -> None:
    done = warehouse.run("run", "--landing", str(landing), "--months", f"{FEB:%Y-%m}")
    assert done.returncode == 0, done.stderr[-4000:]
    assert "abandoned (its process died)" in done.stdout
    assert published_months(warehouse) == [JAN, FEB]
    assert not audit_batch_exists(warehouse)
    assert open_stages(warehouse) == []
    abandoned = warehouse.scalar("select count(distinct logged_at) from ops.run_log "
                                 "where status = 'abandoned'")
    assert abandoned >= 1
    # January's rows are the same rows it had (its figures are not rebuilt for nothing).
    jan_rows = warehouse.scalar("select count(*) from marts.fct_household_month where month = %s",
                                JAN)
    assert jan_rows == january["fct_household_month"][0]
