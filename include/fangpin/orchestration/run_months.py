"""``fangpin run``: one real ``fangpin_monthly`` DAG run per month, in order.

The runs go through Airflow (``dag.test``: the scheduler's own dependency loop, task
instances, XComs and retries in the metadata database) so that what is tested is what is
scheduled. The first month that fails stops the run with its month, stage and cause.

One run at a time: :func:`run_landing` holds the run lock (a second ``fangpin run`` waits or
stops at once) and the exclusive writer lock (no DAG run elsewhere builds, audits or
publishes in between) for all its months. ``dag.test`` runs the tasks in this process and
thread, so their own writer locks are re-entrant holds of the same lock. Before the first
month it clears what dead runs left (``housekeeping``) and plans the months (``plan``):
new, changed and stale months and every published month after the first of them are built,
in order; unchanged months are skipped and said so.

After each month's outcome comes one line per file the month's run rejected (month, feed,
file, cause, which delivery stays in force): a rejection does not stop the month, so it must
not be quiet either. ``fangpin run --strict`` turns any rejection into exit code 4.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from fangpin.orchestration import airflow_env
from fangpin.warehouse.connection import connect

log = logging.getLogger(__name__)
DAG_ID = "fangpin_monthly"


@dataclass(frozen=True)
class MonthOutcome:
    month: date
    run_id: str
    state: str
    failed_stage: str | None = None
    cause: str | None = None
    #: ``Rejection.line()`` of each file the month's run rejected.
    rejections: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.state == "success"

    def describe(self) -> str:
        if self.ok:
            rejected = len(self.rejections)
            note = f"; {rejected} file(s) rejected, see below" if rejected else ""
            return f"{self.month:%Y-%m}: published (run {self.run_id}){note}"
        return (
            f"{self.month:%Y-%m}, stage {self.failed_stage or 'unknown'}: "
            f"{one_line(self.cause or 'see the Airflow task log')} (run {self.run_id})"
        )


def one_line(cause: str, limit: int = 400) -> str:
    """A cause on one line: its first line, and the first line after it that names an error
    (dbt's failing model), so a stop message stays one line but still says what broke."""
    lines = [line.strip() for line in cause.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    text = lines[0]
    markers = ("error in ", "failure in ")
    named = [line for line in lines[1:] if any(k in line.lower() for k in markers)]
    errors = [line for line in lines[1:] if "error" in line.lower()]
    detail = next(iter(named or errors), None)
    if detail and text.endswith(":"):
        text = f"{text} {detail}"
    elif detail:
        text = f"{text}; {detail}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class MonthFailed(RuntimeError):
    def __init__(self, outcome: MonthOutcome) -> None:
        super().__init__(outcome.describe())
        self.outcome = outcome


def landing_months(landing: Path) -> list[date]:
    """Months present in the landing area (folders named YYYY-MM), in order."""
    from fangpin.monthly import parse_month

    months = []
    for child in landing.iterdir() if landing.exists() else []:
        if child.is_dir():
            try:
                months.append(parse_month(child.name))
            except ValueError:
                continue
    return sorted(months)


def scheduled_logical_date(month: date) -> datetime:
    """The date the schedule would run ``month`` on: 03:00 on the 6th of the next month."""
    year, nxt = (month.year + 1, 1) if month.month == 12 else (month.year, month.month + 1)
    return datetime(year, nxt, 6, 3, 0, tzinfo=UTC)


def run_landing(
    warehouse: str, landing: Path, selected: list[date] | None, wait_seconds: float | None = 0,
) -> list[MonthOutcome]:
    """``fangpin run``: plan the months of ``landing`` and run the DAG for those to build.

    ``wait_seconds`` for the locks: 0 stops at once when another writer holds the warehouse
    (:class:`~fangpin.warehouse.writer_lock.WarehouseBusy`), ``None`` waits as long as it takes.
    """
    from fangpin.orchestration.housekeeping import clear_dead_runs
    from fangpin.orchestration.plan import SKIP, plan_months
    from fangpin.warehouse.setup import ensure_warehouse
    from fangpin.warehouse.writer_lock import run_lock, writer_lock

    ensure_warehouse(warehouse)
    who = f"fangpin run {landing}"
    with run_lock(warehouse, who, wait_seconds), writer_lock(warehouse, who, wait_seconds):
        noticed_by = f"fangpin-run-{datetime.now(UTC):%Y%m%dT%H%M%S}"
        for dead in clear_dead_runs(warehouse, noticed_by):
            print(f"abandoned (its process died): {dead}", flush=True)
        plans = plan_months(warehouse, landing, selected)
        for item in plans:
            print(item.describe(), flush=True)
        todo = [item.month for item in plans if item.action != SKIP]
        if not todo:
            print("nothing to build: every month is published from the deliveries in the "
                  "landing area", flush=True)
            return []
        return run_months(warehouse, landing, todo)


def run_months(warehouse: str, landing: Path, months: list[date]) -> list[MonthOutcome]:
    """Run the DAG for each month in order; raise :class:`MonthFailed` at the first failure.

    Call it through :func:`run_landing` (which holds the locks and plans the months);
    directly it runs exactly ``months``.
    """
    from fangpin.warehouse.setup import ensure_warehouse

    ensure_warehouse(warehouse)
    airflow_env.configure(warehouse)
    airflow_env.migrate(warehouse)
    dag = _load_dag()
    outcomes = []
    for month in months:
        outcome = _run_one(dag, warehouse, landing, month)
        outcomes.append(outcome)
        log.info(outcome.describe())
        print(outcome.describe(), flush=True)
        for line in outcome.rejections:
            log.warning("%s", line)
            print(f"  {line}", flush=True)
        if not outcome.ok:
            raise MonthFailed(outcome)
    return outcomes


def _load_dag():  # noqa: ANN202 - Airflow's DAG type is imported lazily
    from airflow.dag_processing.dagbag import DagBag

    from fangpin.config import dags_dir

    bag = DagBag(dag_folder=str(dags_dir()))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.dags[DAG_ID]


def _run_one(dag, warehouse: str, landing: Path, month: date) -> MonthOutcome:  # noqa: ANN001
    conf = {"month": f"{month:%Y-%m}", "landing": str(landing.resolve()), "wait_for_feeds": False}
    started = datetime.now(UTC)
    dag_run = dag.test(logical_date=scheduled_logical_date(month), run_conf=conf)
    state = str(getattr(dag_run.state, "value", dag_run.state))
    failed = state != "success"
    stage, cause = _failure(warehouse, dag_run.run_id, started) if failed else (None, None)
    return MonthOutcome(month, dag_run.run_id, state, stage, cause,
                        _rejection_lines(warehouse, dag_run.run_id))


def _rejection_lines(warehouse: str, run_id: str) -> tuple[str, ...]:
    from fangpin.load.rejections import of_run

    return tuple(r.line() for r in of_run(warehouse, run_id))


def _failure(warehouse: str, run_id: str, since: datetime) -> tuple[str | None, str | None]:
    """The first failed stage recorded for this attempt of the run, and its cause."""
    with connect(warehouse) as conn:
        row = conn.execute(
            "select stage, detail from ops.run_log where run_id = %s and status = 'failed' "
            "and logged_at >= %s order by run_log_id limit 1",
            (run_id, since),
        ).fetchone()
    return (row[0], row[1]) if row else (None, None)
