"""fangpin_monthly: one month of departmental feeds, from landing area to published marts.

    wait_for_registry ─► prepare ─► load[feed] (mapped) ─► transform ─► audit ─► publish

A rejected file does not fail its load task: the feed's delivery in force stays, the month is
built from everything else, and the rejection is in the task log and on the run's note.

Wiring only: the work is in ``fangpin.monthly``, imported inside the tasks so that parsing
this file stays cheap. Scheduled on the 6th of each month (the day after feeds are due) for
the month before; ``month`` and ``landing`` params override that for backfills and reruns.
Every task is keyed by the month and safe to re-run.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

DEFAULT_LANDING = os.environ.get("FANGPIN_LANDING", "/srv/fangpin/landing")
RETRIES = int(os.environ.get("FANGPIN_TASK_RETRIES", "2"))


def _month_and_url() -> tuple:
    from fangpin.monthly import resolve_month
    from fangpin.warehouse.connection import warehouse_url

    ctx = get_current_context()
    month = resolve_month(ctx["params"].get("month"), ctx.get("logical_date"))
    return month, warehouse_url(), ctx["run_id"]


def _no_retry(step, *args):  # noqa: ANN001, ANN202
    """Run a step; bad data (a month that cannot be built, a refused audit or publish) or a
    worker with the wrong pseudonym key fails the task without retries.

    The same bytes give the same verdict on a retry, so retrying only delays the message.
    """
    from airflow.sdk.exceptions import AirflowFailException

    from fangpin.errors import NotRetryable
    from fangpin.load import FeedRejected
    from fangpin.warehouse.pseudonym_key import PseudonymKeyError

    try:
        return step(*args)
    except (NotRetryable, FeedRejected, PseudonymKeyError) as exc:
        raise AirflowFailException(str(exc)) from exc


def _report_rejection(line: str) -> None:
    """A rejected file: a warning in the task log and a line on the DAG run's note."""
    import logging

    from fangpin.orchestration.run_note import add_run_note

    logging.getLogger("fangpin.load").warning("%s", line)
    ctx = get_current_context()
    add_run_note(ctx["dag"].dag_id, ctx["run_id"], line)


def _landing() -> str:
    return get_current_context()["params"]["landing"]


@dag(
    dag_id="fangpin_monthly",
    schedule="0 3 6 * *",
    start_date=pendulum.datetime(2021, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    tags=["fangpin"],
    doc_md=__doc__,
    default_args={"retries": RETRIES, "retry_delay": timedelta(seconds=30)},
    params={
        "month": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}$",
            description="Month to build, YYYY-MM; default: the month before the run",
        ),
        "wait_for_feeds": Param(
            True,
            type="boolean",
            description="Wait for a late registry (scheduled runs) or fail at once (backfills)",
        ),
        "landing": Param(
            DEFAULT_LANDING,
            type="string",
            description="Landing area holding <YYYY-MM>/<feed>/ files",
        ),
    },
)
def fangpin_monthly() -> None:
    @task.sensor(mode="reschedule", poke_interval=600, timeout=timedelta(days=10).total_seconds())
    def wait_for_registry() -> bool:
        """Hold no worker slot while the registry is late: re-check every ten minutes.

        With ``wait_for_feeds`` off (backfills of files already landed) a missing registry
        fails the run at once instead of waiting.
        """
        from pathlib import Path

        from fangpin.monthly import check_registry

        month, url, run_id = _month_and_url()
        wait = bool(get_current_context()["params"].get("wait_for_feeds", True))
        return _no_retry(check_registry, url, Path(_landing()), month, run_id, wait)

    @task(retries=0)
    def prepare() -> list[str]:
        from pathlib import Path

        from fangpin.monthly import prepare as prepare_month

        month, url, run_id = _month_and_url()
        return _no_retry(prepare_month, url, Path(_landing()), month, run_id)

    @task(max_active_tis_per_dagrun=2)
    def load(feed: str) -> dict:
        """Load one feed; a rejected file ends the task successfully, and says so.

        The feed-month is not taken and the delivery in force stays (FEEDS.md "File format");
        the rejection goes to the task log and onto the DAG run's note.
        """
        from pathlib import Path

        from fangpin.monthly import load as load_feed

        month, url, run_id = _month_and_url()
        result = _no_retry(load_feed, url, Path(_landing()), month, feed, run_id)
        if result.get("status") == "rejected":
            _report_rejection(result["line"])
        return result

    @task
    def transform(_loaded: list[dict]) -> None:
        from fangpin.monthly import transform as build

        month, url, run_id = _month_and_url()
        _no_retry(build, url, month, run_id)

    @task(retries=0)
    def audit() -> dict:
        from fangpin.monthly import audit as audit_build

        month, url, run_id = _month_and_url()
        return _no_retry(audit_build, url, month, run_id)

    @task
    def publish(_audit: dict) -> None:
        from fangpin.monthly import publish as publish_build

        month, url, run_id = _month_and_url()
        _no_retry(publish_build, url, month, run_id)

    feeds = prepare()
    wait_for_registry() >> feeds
    loaded = load.expand(feed=feeds)
    built = transform(loaded)
    checked = audit()
    built >> checked
    publish(checked)


fangpin_monthly()
