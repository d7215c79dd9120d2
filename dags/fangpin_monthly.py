"""fangpin_monthly: one month of departmental feeds, from landing area to published marts.

    wait_for_registry ─► prepare ─► load[feed] (mapped) ──────► transform ─► audit ─► publish
                               └─► wait_for_earlier_month ─┘ (pool fangpin_build, one slot)

A rejected file does not fail its load task: the feed's delivery in force stays, the month is
built from everything else, and the rejection is in the task log and on the run's note.

Wiring only: the work is in ``fangpin.pipeline.monthly``, imported inside the tasks so that parsing
this file stays cheap. Scheduled on the 6th of each month (the day after feeds are due) for
the month before; ``month`` and ``landing`` params override that for backfills and reruns.
A manual run without ``month`` builds the latest month of the landing area that has a
registry (said in the log).

Ships paused (a fresh deployment creates no run until someone unpauses it) and never catches
up. A landing folder that does not exist fails the run at once, naming it.

One build at a time, in order: a backfill run waits (``wait_for_earlier_month``, holding no
slot) until the run before it has finished, and stops if that one failed. ``transform``,
``audit`` and ``publish`` run in the one-slot pool ``fangpin_build`` with weights publish >
audit > transform, so when the slot frees, the run that has built goes on before another run
starts building. Each step also holds the warehouse's writer lock, and ``audit``/``publish``
check the build stamp: they refuse a ``marts_build`` that another run made. Up to four runs
are active at once, so a scheduled run waiting for a late registry never holds manual runs.
Bad data (a rejected file, a refused audit or publish, a missing landing or
month, a worker without a warehouse) fails the task without retries; a task failing for good
calls the configured notifier (``fangpin.orchestration.notify``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pendulum
from airflow.sdk import Asset, Param, dag, get_current_context, task


def _setting(key: str, default: str) -> str:
    """A ``[fangpin]`` setting of the generated airflow.cfg (or ``FANGPIN_<KEY>``)."""
    from airflow.sdk.configuration import conf

    return conf.get("fangpin", key, fallback=os.environ.get(f"FANGPIN_{key.upper()}", default))


DEFAULT_LANDING = _setting("landing", "/srv/fangpin/landing")
LOAD_CAP = int(_setting("load_cap", "2"))
BUILD_POOL = _setting("build_pool", "fangpin_build")
#: Runs at once: a registry-waiting scheduled run must not hold manual runs; the build pool,
#: the writer lock and the build stamp keep concurrent runs' builds apart.
MAX_ACTIVE_RUNS = int(_setting("max_active_runs", "4"))
RETRIES = int(os.environ.get("FANGPIN_TASK_RETRIES", "2"))
#: What ``publish`` updates; a downstream DAG (a BI refresh) can be scheduled on it.
MARTS = Asset(name="fangpin_marts", uri="fangpin://warehouse/marts")


def _fail(exc: BaseException) -> None:
    """Fail the task for good: the same input gives the same verdict on a retry."""
    from airflow.sdk.exceptions import AirflowFailException

    raise AirflowFailException(str(exc)) from exc


def _month_and_url() -> tuple:
    from pathlib import Path

    from fangpin.pipeline.dag_support import LandingMissing, NoMonth, run_month
    from fangpin.warehouse.connection import WarehouseNotConfigured, warehouse_url

    ctx = get_current_context()
    try:
        url = warehouse_url()
        month = run_month(ctx["params"].get("month"), ctx.get("logical_date"),
                          Path(_landing()))
    except (WarehouseNotConfigured, LandingMissing, NoMonth, ValueError) as exc:
        _fail(exc)
    return month, url, ctx["run_id"]


def _no_retry(step, *args):  # noqa: ANN001, ANN202
    """Run a step; bad data (a month that cannot be built, a refused audit or publish) or a
    worker with the wrong pseudonym key fails the task without retries.

    The same bytes give the same verdict on a retry, so retrying only delays the message.
    """
    from fangpin.errors import NotRetryable
    from fangpin.load import FeedRejected
    from fangpin.pipeline.dag_support import BuildNotOurs
    from fangpin.warehouse.pseudonym_key import PseudonymKeyError

    try:
        return step(*args)
    except (NotRetryable, FeedRejected, BuildNotOurs, PseudonymKeyError) as exc:
        _fail(exc)


def _building(step, url: str, month, run_id: str, *, check_stamp: bool):  # noqa: ANN001, ANN202
    """Run a building step under the writer lock; audit/publish only on this run's build."""
    from fangpin.pipeline.dag_support import check_build_is_ours
    from fangpin.warehouse.writer_lock import writer_lock

    with writer_lock(url, f"fangpin_monthly {run_id} {month:%Y-%m}"):
        if check_stamp:
            _no_retry(check_build_is_ours, url, month, run_id)
        return _no_retry(step, url, month, run_id)


def _report_rejection(line: str) -> None:
    """A rejected file: a warning in the task log and a line on the DAG run's note."""
    import logging

    from fangpin.orchestration.run_note import add_run_note

    logging.getLogger("fangpin.load").warning("%s", line)
    ctx = get_current_context()
    add_run_note(ctx["dag"].dag_id, ctx["run_id"], line)


@contextmanager
def _stage(task_id: str) -> Iterator[dict]:
    """The task's work in a log group (Airflow's UI shows it collapsed: the libraries' lines),
    then the stage's one line (``fangpin.pipeline.progress``): what the task did, in
    figures, the first line the task log shows open. ``fangpin run`` prints the same line
    from the task's XCom. The body puts ``month`` and ``result`` into the dict it gets."""
    import logging

    from fangpin.pipeline.progress import task_line

    log = logging.getLogger("fangpin.stage")
    started = time.perf_counter()
    done: dict = {}
    log.info("::group::%s: its libraries' lines (Great Expectations, dbt, ...)", task_id)
    try:
        yield done
    finally:
        log.info("::endgroup::")  # a failure's traceback stays outside the group, in view
    log.info("%s", task_line(done["month"], task_id, done.get("result"),
                             time.perf_counter() - started))


def _landing() -> str:
    return get_current_context()["params"]["landing"]


def _sensor_settings(context) -> None:  # noqa: ANN001
    """Poke interval and timeout of ``wait_for_registry`` come from the run's params."""
    params, sensor = context["params"], context["task"]
    sensor.poke_interval = float(params["poke_interval_seconds"])
    sensor.timeout = float(params["wait_timeout_hours"]) * 3600


def _notify(context) -> None:  # noqa: ANN001
    from fangpin.orchestration.notify import on_task_failure

    on_task_failure(context)


@dag(
    dag_id="fangpin_monthly",
    schedule="0 3 6 * *",
    start_date=pendulum.datetime(2021, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    is_paused_upon_creation=True,
    max_active_runs=MAX_ACTIVE_RUNS,
    tags=["fangpin"],
    doc_md=__doc__,
    default_args={
        "retries": RETRIES,
        "retry_delay": timedelta(seconds=30),
        "on_failure_callback": _notify,
    },
    params={
        "month": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}$",
            description="Month to build, YYYY-MM; default: the month before a scheduled run, "
            "or the latest month with a registry in the landing area for a manual run",
        ),
        "wait_for_feeds": Param(
            True,
            type="boolean",
            description="Wait for a late registry, or fail at once (backfill runs never wait)",
        ),
        "landing": Param(
            DEFAULT_LANDING,
            type="string",
            description="Landing area holding <YYYY-MM>/<feed>/ files (must exist)",
        ),
        "poke_interval_seconds": Param(
            600, type="integer", minimum=5,
            description="How often wait_for_registry looks for a late registry",
        ),
        "wait_timeout_hours": Param(
            240, type="number", minimum=0,
            description="How long wait_for_registry waits before the run fails",
        ),
    },
)
def fangpin_monthly() -> None:
    @task.sensor(mode="reschedule", poke_interval=600, timeout=timedelta(days=10).total_seconds(),
                 retries=0, pre_execute=_sensor_settings)
    def wait_for_registry() -> bool:
        """Hold no worker slot while the registry is late (params: poke interval, timeout).

        A landing folder that does not exist fails at once; with ``wait_for_feeds`` off
        (backfills of files already landed) a missing registry fails the run at once too.
        """
        from pathlib import Path

        from fangpin.pipeline.dag_support import LandingMissing, check_landing, is_backfill
        from fangpin.pipeline.monthly import check_registry

        try:
            landing = check_landing(Path(_landing()))
        except LandingMissing as exc:
            _fail(exc)
        month, url, run_id = _month_and_url()
        ctx = get_current_context()
        wait = bool(ctx["params"].get("wait_for_feeds", True)) and not is_backfill(ctx["dag_run"])
        return _no_retry(check_registry, url, landing, month, run_id, wait)

    @task.sensor(mode="reschedule", poke_interval=10, timeout=timedelta(days=1).total_seconds(),
                 retries=0)
    def wait_for_earlier_month() -> bool:
        """A backfill run builds after the run before it has finished (in order, one by one)."""
        from fangpin.pipeline.dag_support import EarlierMonthFailed, earlier_month_verdict

        ctx = get_current_context()
        try:
            verdict = earlier_month_verdict(ctx["dag_run"], ctx["ti"].get_previous_dagrun())
        except EarlierMonthFailed as exc:
            _fail(exc)
        return verdict == "go"

    @task(retries=0, show_return_value_in_logs=False)
    def prepare() -> list[str]:
        from pathlib import Path

        from fangpin.pipeline.monthly import prepare as prepare_month

        with _stage("prepare") as done:
            month, url, run_id = _month_and_url()
            done.update(month=month,
                        result=_no_retry(prepare_month, url, Path(_landing()), month, run_id))
        return done["result"]

    @task(max_active_tis_per_dagrun=LOAD_CAP, show_return_value_in_logs=False)
    def load(feed: str) -> dict:
        """Load one feed; a rejected file ends the task successfully, and says so.

        The feed-month is not taken and the delivery in force stays (FEEDS.md "File format");
        the rejection goes to the task log and onto the DAG run's note.
        """
        from pathlib import Path

        from fangpin.pipeline.monthly import load as load_feed

        with _stage("load") as done:
            month, url, run_id = _month_and_url()
            result = _no_retry(load_feed, url, Path(_landing()), month, feed, run_id)
            done.update(month=month, result=result)
        if result.get("status") == "rejected":
            _report_rejection(result["line"])
        return result

    @task(pool=BUILD_POOL, priority_weight=10, weight_rule="absolute",
          show_return_value_in_logs=False)
    def transform(_loaded: list[dict]) -> dict:
        from fangpin.pipeline.dag_support import stamp_build
        from fangpin.pipeline.monthly import transform as build

        def build_and_stamp(url: str, month, run_id: str) -> dict:  # noqa: ANN001
            built = build(url, month, run_id)
            stamp_build(url, month, run_id)
            return built

        with _stage("transform") as done:
            month, url, run_id = _month_and_url()
            done.update(month=month, result=_building(build_and_stamp, url, month, run_id,
                                                      check_stamp=False))
        return done["result"]

    @task(retries=0, pool=BUILD_POOL, priority_weight=20, weight_rule="absolute",
          show_return_value_in_logs=False)
    def audit() -> dict:
        from fangpin.pipeline.monthly import audit as audit_build

        with _stage("audit") as done:
            month, url, run_id = _month_and_url()
            done.update(month=month,
                        result=_building(audit_build, url, month, run_id, check_stamp=True))
        return done["result"]

    @task(pool=BUILD_POOL, priority_weight=30, weight_rule="absolute", outlets=[MARTS],
          show_return_value_in_logs=False)
    def publish(_audit: dict) -> dict:
        from fangpin.pipeline.monthly import publish as publish_build

        with _stage("publish") as done:
            month, url, run_id = _month_and_url()
            done.update(month=month, result=_building(publish_build, url, month, run_id,
                                                      check_stamp=True))
        get_current_context()["outlet_events"][MARTS].extra = {
            "month": f"{month:%Y-%m}", "run_id": run_id,
        }
        return done["result"]

    feeds = prepare()
    wait_for_registry() >> feeds
    loaded = load.expand(feed=feeds)
    built = transform(loaded)
    feeds >> wait_for_earlier_month() >> built
    checked = audit()
    built >> checked
    publish(checked)


fangpin_monthly()
