"""One line per stage of a month: what ``fangpin run`` prints and each Airflow task logs.

The figures come from the tasks' own results (the dicts the DAG's tasks return, Airflow's
XComs) and from Airflow's record of each task instance (its state and duration): nothing is
estimated except the time left, which says how it is estimated. Pure functions: the DAG's
tasks call :func:`task_line` on their result, ``fangpin run`` reads the month's task
instances back from the metadata database (``run_months``) and calls :func:`month_lines`.

A month reads::

    2021-01 prepare      0.5 s  8 of 8 feeds arrived
    2021-01 load         5.3 s  3,998 rows loaded, 2 quarantined; loaded/quarantined: ...
    2021-01 transform   47.8 s  dbt build: 8 seeds, 40 models built, 173 tests passed
    2021-01 audit       19.9 s  245 checks: 244 passed, 1 warned (suite/check), 0 failed
    2021-01 publish      0.4 s  published
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

#: The stages a month prints, in order; the sensors print only when they fail.
STAGES = ("prepare", "load", "transform", "audit", "publish")
#: Warnings named on one line; more are counted (``fangpin status`` lists them all).
MAX_NAMED = 8


@dataclass(frozen=True)
class TaskRecord:
    """One task instance of a month's DAG run, as Airflow recorded it."""

    task_id: str
    map_index: int
    state: str
    seconds: float
    #: Its ``return_value`` XCom; None when it failed (or returned nothing).
    result: object = None


def duration(seconds: float) -> str:
    """``4.2 s``, ``3 min 05 s``, ``1 h 02 min``: short, and exact enough to plan by."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def stage_line(month: date, stage: str, seconds: float, text: str) -> str:
    return f"{month:%Y-%m} {stage:<10} {duration(seconds):>9}  {text}"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _named(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMED])
    more = len(names) - MAX_NAMED
    return f"{shown}, and {more} more" if more > 0 else shown


# --- one stage's result ------------------------------------------------------------------


def prepare_text(feeds: object) -> str:
    """``8 of 8 feeds arrived``, naming those that did not (the load line has the others)."""
    from fangpin.feeds.contracts import FEEDS

    names = list(feeds) if isinstance(feeds, list | tuple) else []
    missing = [feed for feed in FEEDS if feed not in names]
    text = f"{len(names)} of {len(FEEDS)} feeds arrived"
    return f"{text}; not delivered: {', '.join(missing)}" if missing else text


def _feed_rows(result: Mapping) -> tuple[int, int]:
    files = result.get("files") or []
    return (sum(int(f.get("rows_loaded") or 0) for f in files),
            sum(int(f.get("rows_quarantined") or 0) for f in files))


def feed_text(result: Mapping) -> str:
    """One feed's load: ``education 139/1`` (rows loaded/quarantined), ``unchanged`` (the
    same bytes as the delivery in force), ``absent`` or ``REJECTED <file>``."""
    status = result.get("status")
    feed = result.get("feed", "?")
    if status == "rejected":
        return f"{feed} REJECTED {result.get('file', '')}".rstrip()
    if status == "skipped":
        return f"{feed} unchanged"
    if status == "absent":
        return f"{feed} absent"
    loaded, quarantined = _feed_rows(result)
    return f"{feed} {loaded:,}/{quarantined:,}"


def load_text(results: Iterable[Mapping]) -> str:
    """Every feed of the month on one line: totals first, then each feed's rows."""
    results = sorted(results, key=lambda r: str(r.get("feed")))
    loaded = quarantined = 0
    for result in results:
        rows, bad = _feed_rows(result)
        loaded, quarantined = loaded + rows, quarantined + bad
    rejected = sum(r.get("status") == "rejected" for r in results)
    head = f"{loaded:,} rows loaded, {quarantined:,} quarantined"
    if rejected:
        head += f", {_count(rejected, 'file')} rejected (below)"
    return f"{head}; loaded/quarantined: " + ", ".join(feed_text(r) for r in results)


def transform_text(result: Mapping) -> str:
    """``dbt build: 8 seeds, 40 models built, 173 tests passed`` (+ warned / failed)."""
    parts = [
        _count(int(result.get("seeds", 0)), "seed"),
        _count(int(result.get("models", 0)), "model") + " built",
        _count(int(result.get("tests_passed", 0)), "test") + " passed",
    ]
    warned = list(result.get("tests_warned") or [])
    if warned:
        parts.append(f"{len(warned)} warned ({_named(warned)})")
    failed = list(result.get("tests_failed") or [])
    if failed:
        parts.append(f"{len(failed)} failed ({_named(failed)})")
    return "dbt build: " + ", ".join(parts)


def audit_text(result: Mapping) -> str:
    """``245 checks: 244 passed, 1 warned (suite/check), 0 failed``, each warning named."""
    checks = int(result.get("checks", 0))
    warnings = list(result.get("warnings") or [])
    failed = list(result.get("failed") or [])
    passed = checks - len(warnings) - len(failed)
    text = f"{_count(checks, 'check')}: {passed:,} passed, {len(warnings)} warned"
    if warnings:
        text += f" ({_named(warnings)})"
    text += f", {len(failed)} failed"
    if failed:
        text += f" ({_named(failed)})"
    return text if result.get("passed", not failed) else text + ": publish REFUSED"


def publish_text(result: Mapping) -> str:
    status = str(result.get("status", "published"))
    reason = result.get("reason")
    return f"{status}: {reason}" if reason else status


def task_line(month: date, task_id: str, result: object, seconds: float) -> str:
    """The line a task logs at its end (its Airflow task log): one feed for a load task."""
    data = result if isinstance(result, Mapping) else {}
    if task_id == "prepare":
        return stage_line(month, "prepare", seconds, prepare_text(result))
    if task_id == "load":
        text = feed_text(data)
        if data.get("status") == "loaded":
            loaded, quarantined = _feed_rows(data)
            text = f"{data.get('feed')}: {loaded:,} rows loaded, {quarantined:,} quarantined"
        return stage_line(month, "load", seconds, text)
    if task_id == "transform":
        return stage_line(month, "transform", seconds, transform_text(data))
    if task_id == "audit":
        return stage_line(month, "audit", seconds, audit_text(data))
    if task_id == "publish":
        return stage_line(month, "publish", seconds, publish_text(data))
    return stage_line(month, task_id, seconds, "done")


# --- a month from Airflow's record ---------------------------------------------------------


def month_lines(
    month: date, tasks: Sequence[TaskRecord], failed: Mapping[str, str] | None = None
) -> list[str]:
    """The month's stage lines from its task instances, in the order of :data:`STAGES`.

    ``failed`` holds a short text per failed task id (a refused audit's counts): a failed
    task has no result to summarise, and the run's stop message gives the cause in full.
    """
    failed = failed or {}
    lines = []
    for task in tasks:  # a sensor that failed (no registry, an earlier month failed)
        if task.task_id not in STAGES and task.state == "failed":
            lines.append(stage_line(month, task.task_id, task.seconds,
                                    failed.get(task.task_id, "FAILED (see below)")))
    for name in STAGES:
        mine = [t for t in tasks if t.task_id == name and t.state in ("success", "failed")]
        if not mine:
            continue
        seconds = sum(t.seconds for t in mine)
        broken = [t for t in mine if t.state == "failed"]
        if broken:
            lines.append(stage_line(month, name, seconds,
                                    failed.get(name, "FAILED (see below)")))
        elif name == "load":
            results = [t.result for t in mine if isinstance(t.result, Mapping)]
            lines.append(stage_line(month, name, seconds, load_text(results)))
        else:
            lines.append(task_line(month, name, mine[0].result, seconds))
    return lines


def month_total(month: date, verdict: str, seconds: float, task_seconds: float,
                run_id: str) -> str:
    """The month's last line: its verdict and wall time, and how much of it went to Airflow
    itself (scheduling, task start-up) rather than to the tasks."""
    overhead = max(seconds - task_seconds, 0.0)
    return (f"{month:%Y-%m}: {verdict} in {duration(seconds)} (tasks {duration(task_seconds)}"
            f", Airflow {duration(overhead)}; run {run_id})")


def eta_line(month_seconds: Sequence[float], months_left: int) -> str:
    """After each month: the months left times the mean month so far."""
    mean = sum(month_seconds) / len(month_seconds)
    if months_left <= 0:
        return ""
    return (f"{_count(months_left, 'month')} left: about {duration(mean * months_left)} "
            f"({duration(mean)} a month so far)")


def run_total(months: int, seconds: float, start_up: float) -> str:
    return (f"{_count(months, 'month')} published in {duration(seconds)} "
            f"(Airflow start-up {duration(start_up)})")
