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

Each month prints one line per stage with its seconds and figures (``progress``), read
back from Airflow's record of the month's DAG run: each task instance's state and duration
and the result it returned (its XCom). Then the month's total, one line per file the month's
run rejected (month, feed, file, cause, which delivery stays in force: a rejection does not
stop the month, so it must not be quiet either) and the time the months left should take.
``fangpin run --strict`` turns any rejection into exit code 4.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from fangpin.domain.months import next_month
from fangpin.orchestration import airflow_env
from fangpin.pipeline import progress
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
    #: One line per stage, with its seconds and figures (``progress.month_lines``).
    stage_lines: tuple[str, ...] = field(default=())
    #: Wall time of the month's DAG run, and the sum of its task instances' durations.
    seconds: float = 0.0
    task_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.state == "success"

    def describe(self) -> str:
        if self.ok:
            rejected = len(self.rejections)
            note = f"; {rejected} file(s) rejected, see below" if rejected else ""
            return f"{self.month:%Y-%m}: published (run {self.run_id}){note}"
        return self.stop_message()

    def total_line(self) -> str:
        """The month's last line: its verdict, wall time and Airflow's share of it."""
        rejected = len(self.rejections)
        verdict = "published" if self.ok else f"stopped at {self.failed_stage or 'a stage'}"
        if rejected:
            verdict += f" with {rejected} file(s) rejected"
        return progress.month_total(self.month, verdict, self.seconds, self.task_seconds,
                                    self.run_id)

    def stop_message(self) -> str:
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
    from fangpin.domain.months import parse_month

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
    nxt = next_month(month)
    return datetime(nxt.year, nxt.month, 6, 3, 0, tzinfo=UTC)


Say = Callable[[str], None]


def _print(line: str) -> None:
    print(line, flush=True)


def run_landing(
    warehouse: str, landing: Path, selected: list[date] | None, wait_seconds: float | None = 0,
    say: Say = _print,
) -> list[MonthOutcome]:
    """``fangpin run``: plan the months of ``landing`` and run the DAG for those to build.

    ``wait_seconds`` for the locks: 0 stops at once when another writer holds the warehouse
    (:class:`~fangpin.warehouse.writer_lock.WarehouseBusy`), ``None`` waits as long as it takes.
    """
    from fangpin.pipeline.housekeeping import clear_dead_runs
    from fangpin.pipeline.plan import SKIP, plan_months
    from fangpin.pipeline.setup import ensure_warehouse
    from fangpin.warehouse.writer_lock import run_lock, writer_lock

    ensure_warehouse(warehouse)
    who = f"fangpin run {landing}"
    with run_lock(warehouse, who, wait_seconds), writer_lock(warehouse, who, wait_seconds):
        noticed_by = f"fangpin-run-{datetime.now(UTC):%Y%m%dT%H%M%S}"
        for dead in clear_dead_runs(warehouse, noticed_by):
            say(f"abandoned (its process died): {dead}")
        plans = plan_months(warehouse, landing, selected)
        for item in plans:
            say(item.describe())
        todo = [item.month for item in plans if item.action != SKIP]
        if not todo:
            say("nothing to build: every month is published from the deliveries in the "
                "landing area")
            return []
        return run_months(warehouse, landing, todo, say)


def run_months(
    warehouse: str, landing: Path, months: list[date], say: Say = _print
) -> list[MonthOutcome]:
    """Run the DAG for each month in order; raise :class:`MonthFailed` at the first failure.

    Call it through :func:`run_landing` (which holds the locks and plans the months);
    directly it runs exactly ``months``. Each month says its stages, its total, its rejected
    files and the time left (``say``: the terminal of ``fangpin run``).
    """
    from fangpin.pipeline.setup import ensure_warehouse

    started = time.perf_counter()
    ensure_warehouse(warehouse)
    airflow_env.configure(warehouse)
    airflow_env.migrate(warehouse)
    dag = _load_dag()
    start_up = time.perf_counter() - started
    say(f"Airflow ready in {progress.duration(start_up)} (metadata database migrated, "
        "DAG parsed)")
    outcomes: list[MonthOutcome] = []
    for month in months:
        outcome = _run_one(dag, warehouse, landing, month)
        outcomes.append(outcome)
        for line in outcome.stage_lines:
            say(line)
        say(outcome.total_line())
        for line in outcome.rejections:
            log.warning("%s", line)
            say(f"  {line}")
        if not outcome.ok:
            raise MonthFailed(outcome)
        left = progress.eta_line([o.seconds for o in outcomes], len(months) - len(outcomes))
        if left:
            say(left)
    say(progress.run_total(len(outcomes), time.perf_counter() - started, start_up))
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
    clock = time.perf_counter()
    dag_run = dag.test(logical_date=scheduled_logical_date(month), run_conf=conf)
    seconds = time.perf_counter() - clock
    state = str(getattr(dag_run.state, "value", dag_run.state))
    failed = state != "success"
    stage, cause = _failure(warehouse, dag_run.run_id, started) if failed else (None, None)
    tasks = month_tasks(warehouse, dag_run.run_id)
    notes = _failed_notes(warehouse, dag_run.run_id, tasks) if failed else {}
    return MonthOutcome(
        month, dag_run.run_id, state, stage, cause,
        _rejection_lines(warehouse, dag_run.run_id),
        tuple(progress.month_lines(month, tasks, notes)), seconds,
        sum(t.seconds for t in tasks),
    )


def month_tasks(warehouse: str, run_id: str) -> list[progress.TaskRecord]:
    """Every task instance of a DAG run with its state, duration and returned value, from
    Airflow's metadata database (``task_instance`` and its ``return_value`` XComs)."""
    with connect(airflow_env.metadata_url(warehouse)) as conn:
        rows = conn.execute(
            "select ti.task_id, ti.map_index, ti.state, "
            "coalesce(ti.duration, extract(epoch from ti.end_date - ti.start_date), 0), "
            "x.value from task_instance ti left join xcom x on x.dag_id = ti.dag_id "
            "and x.run_id = ti.run_id and x.task_id = ti.task_id "
            "and x.map_index = ti.map_index and x.key = 'return_value' "
            "where ti.dag_id = %s and ti.run_id = %s order by ti.start_date nulls last",
            (DAG_ID, run_id),
        ).fetchall()
    return [progress.TaskRecord(task_id, map_index, str(state or ""), float(seconds), value)
            for task_id, map_index, state, seconds, value in rows]


def _failed_notes(
    warehouse: str, run_id: str, tasks: list[progress.TaskRecord]
) -> dict[str, str]:
    """What a failed stage line says: a refused audit's counts, from ``ops.audit_result``."""
    notes: dict[str, str] = {}
    if any(t.task_id == "audit" and t.state == "failed" for t in tasks):
        with connect(warehouse) as conn:
            rows = conn.execute(
                "select suite || '/' || check_name, severity, passed from ops.audit_result "
                "where run_id = %s and attempt = (select attempt from ops.audit_result "
                "where run_id = %s order by audit_id desc limit 1) order by audit_id",
                (run_id, run_id),
            ).fetchall()
        if rows:
            notes["audit"] = progress.audit_text({
                "passed": False, "checks": len(rows),
                "warnings": [n for n, sev, ok in rows if not ok and sev == "warning"],
                "failed": [n for n, sev, ok in rows if not ok and sev != "warning"],
            })
    return notes


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
