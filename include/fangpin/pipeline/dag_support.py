"""What the DAG's tasks check before they work: the landing area, the month, the build.

Kept out of ``dags/fangpin_monthly.py`` so that parsing the DAG stays cheap and so each rule
has a unit test of its own.

- A landing folder that does not exist fails the run at once, naming the path (a sensor
  waiting ten days for a mount that was never made helps nobody).
- A run without ``month`` (a manual trigger without conf) takes the latest month of the
  landing area that has a registry, and says so in the log; with none it fails at once
  naming the ``month`` param.
- The build stamp: ``transform`` writes which run and month built ``marts_build`` on the
  schema itself; ``audit`` and ``publish`` refuse a build another run made, so that no
  interleaving of runs (backfills, Clear, a manual run beside a scheduled one) ever audits or
  publishes one month's build under another's name.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from pathlib import Path

log = logging.getLogger("fangpin.dag")

BUILD = "marts_build"


class LandingMissing(RuntimeError):
    """The landing folder is not there: a mount or a path is wrong, not a feed that is late."""


class NoMonth(RuntimeError):
    """A run has no month to build and none can be taken from the landing area."""


class BuildNotOurs(RuntimeError):
    """``marts_build`` holds another run's build (or none): auditing or publishing it is wrong."""


def check_landing(landing: Path) -> Path:
    """The landing folder, which must exist and be a folder."""
    if not landing.is_dir():
        raise LandingMissing(
            f"the landing area {landing} does not exist (or is not a folder): mount it or give "
            "the run a `landing` param that exists on every worker"
        )
    return landing


def latest_registry_month(landing: Path) -> date | None:
    """The latest month folder of ``landing`` whose registry has arrived, if any."""
    from fangpin.pipeline.monthly import registry_arrived
    from fangpin.pipeline.run_months import landing_months

    with_registry = [m for m in landing_months(landing) if registry_arrived(landing, m)]
    return with_registry[-1] if with_registry else None


def run_month(param: str | None, logical_date: datetime | None, landing: Path) -> date:
    """The month a run builds: ``month``, else the schedule's, else the landing's latest.

    Scheduled and backfill runs have a logical date (the month before it); a manual run has
    none and takes the latest month with a registry in ``landing``.
    """
    from fangpin.domain.months import parse_month, previous_month

    if param:
        return parse_month(param)
    if logical_date is not None:
        return previous_month(logical_date)
    month = latest_registry_month(check_landing(landing))
    if month is None:
        raise NoMonth(
            f"no `month` param, and no month in {landing} has a registry to default to: "
            'trigger with conf {"month": "YYYY-MM"}'
        )
    log.info("no `month` param: building %s, the latest month with a registry in %s",
             f"{month:%Y-%m}", landing)
    return month


# --- the build stamp -------------------------------------------------------------------------


def stamp_build(url: str, month: date, run_id: str) -> None:
    """Write on ``marts_build`` which run built it for which month (after a dbt build)."""
    import psycopg
    from psycopg import sql

    stamp = json.dumps({"built_by": run_id, "month": f"{month:%Y-%m}"})
    with psycopg.connect(url) as conn:
        conn.execute(sql.SQL("comment on schema {} is {}").format(
            sql.Identifier(BUILD), sql.Literal(stamp)))


def build_stamp(url: str) -> dict:
    """The stamp on the build schema ({} when none): read as the publish reads a schema's."""
    import psycopg

    from fangpin.publish.swap import published_state

    with psycopg.connect(url) as conn:
        return published_state(conn, BUILD)


def check_build_is_ours(url: str, month: date, run_id: str) -> None:
    """Refuse to audit or publish a build that this run did not make for this month."""
    stamp = build_stamp(url)
    if stamp.get("built_by") == run_id and stamp.get("month") == f"{month:%Y-%m}":
        return
    if not stamp:
        raise BuildNotOurs(
            f"{month:%Y-%m}: {BUILD} carries no build stamp (it was published or never built by "
            "a run): clear this run's transform to build it again"
        )
    raise BuildNotOurs(
        f"{month:%Y-%m}: {BUILD} now holds month {stamp.get('month')} built by run "
        f"{stamp.get('built_by')}, not this run's build: clear this run's transform to rebuild"
    )


# --- backfills: one month after the other ----------------------------------------------------


class EarlierMonthFailed(RuntimeError):
    """The backfill's previous month failed: later months do not build on top of it."""


def enum_text(value: object) -> str:
    """An Airflow enum as its plain value (``str()`` of the SDK's gives ``DagRunType.BACKFILL``)."""
    return str(getattr(value, "value", value)).lower()


def is_backfill(run: object) -> bool:
    return enum_text(getattr(run, "run_type", "")) == "backfill"


def earlier_month_verdict(this_run, previous_run) -> str:  # noqa: ANN001 - Airflow DagRun models
    """``go`` or ``wait`` for a run's build; raises :class:`EarlierMonthFailed`.

    A backfill creates all its runs at once and Airflow starts up to ``--max-active-runs`` of
    them: the pool keeps builds apart, but a later month whose loads finish first would build
    first. So a backfill run builds only once the run before it (by logical date) has finished;
    if that run failed during this backfill, this month fails too (as ``fangpin run`` stops at
    the first failing month). Other runs (manual, scheduled) never wait here.
    """
    if not is_backfill(this_run) or previous_run is None:
        return "go"
    state = enum_text(getattr(previous_run, "state", ""))
    if state in ("queued", "running"):
        return "wait"
    if state == "failed":
        ended, started = getattr(previous_run, "end_date", None), getattr(
            this_run, "start_date", None)
        if ended is None or started is None or ended >= started:
            raise EarlierMonthFailed(
                f"the earlier run {previous_run.run_id} failed: a backfill builds its months in "
                "order and stops at the first failing month; fix it, then clear this run"
            )
    return "go"
