"""The steps of one monthly run, as plain functions the DAG's tasks call.

The DAG file only wires these together; tests and operators can call them directly. Each
step records its start and end in ``ops.run_log`` so that ``fangpin run`` and ``fangpin
status`` can say which month, which stage and what cause, without digging in task logs.

One writer at a time: each stage holds the warehouse's writer lock
(``fangpin.warehouse.writer_lock``) from before it records its start until after it records
its end - shared for ``prepare`` and feed loads, which may run side by side, exclusive for
``transform``, ``audit`` and ``publish``. So two DAG runs (scheduled, triggered, backfilled,
or a ``fangpin run`` beside them) never interleave a build, and a ``started`` row seen by a
holder of the exclusive lock belongs to a process that died. The lock is re-entrant per
process: inside ``fangpin run``, which holds it for all its months, the stages pass at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from fangpin.domain.months import parse_month, previous_month
from fangpin.errors import NotRetryable
from fangpin.warehouse.connection import connect
from fangpin.warehouse.pseudonym_key import ensure_key_matches

log = logging.getLogger(__name__)

T = TypeVar("T")
#: Stages that may run beside each other (under the shared writer lock).
SHARED_STAGES = ("prepare", "wait_for_registry")
#: The stage this process is in, for the one-line stop message when the warehouse itself fails.
_current: dict[str, object] = {}


class StageFailed(NotRetryable):
    """A stage of a monthly run failed; the message names the month, the stage and the cause.

    Raised for verdicts on the data (a refused audit, a missing registry), which a retry of
    the same input would repeat: not retryable.
    """


def current_stage() -> tuple[date, str] | None:
    """The month and stage this process started last and has not finished, if any."""
    if not _current:
        return None
    return _current["month"], _current["stage"]  # type: ignore[return-value]


def resolve_month(param: str | None, logical_date: datetime | None) -> date:
    """The month of a run: the ``month`` param when given, else the month before the run date."""
    if param:
        return parse_month(param)
    if logical_date is None:
        raise ValueError("no month: give the `month` param or run the DAG on its schedule")
    return previous_month(logical_date)


def record(url: str, run_id: str, month: date, stage: str, status: str, detail: str = "") -> None:
    with connect(url) as conn:
        conn.execute(
            "insert into ops.run_log (run_id, month, stage, status, detail) "
            "values (%s, %s, %s, %s, %s)",
            (run_id, month, stage, status, detail[:4000]),
        )


@dataclass
class StageEnd:
    """How a stage ends when it does not fail: ``succeeded`` unless the body says otherwise
    (a load whose file was rejected ends ``rejected``, with the line saying why)."""

    status: str = "succeeded"
    detail: str = ""


@contextmanager
def stage(url: str, run_id: str, month: date, name: str) -> Iterator[StageEnd]:
    """Record a stage's start, success or failure; failures carry month and stage in the message.

    The stage holds the writer lock (see the module's docstring) around both records, waiting
    for it as long as another writer holds it (and saying who that is in the log). Every stage
    then checks this process's pseudonym key against the warehouse's fingerprint
    (``KeyMismatch``), so a worker with another key writes nothing but the failure.
    """
    from fangpin.warehouse.writer_lock import writer_lock

    shared = name in SHARED_STAGES or name.startswith("load:")
    who = f"{name} {month:%Y-%m} run {run_id}"
    end = StageEnd()
    with writer_lock(url, who, wait_seconds=None, shared=shared):
        _current.update(month=month, stage=name)
        record(url, run_id, month, name, "started")
        try:
            ensure_key_matches(url)
            yield end
        except Exception as exc:
            cause = f"{type(exc).__name__}: {exc}"
            record(url, run_id, month, name, "failed", cause)
            log.error("month %s, stage %s failed: %s", f"{month:%Y-%m}", name, cause)
            raise
        record(url, run_id, month, name, end.status, end.detail)
        _current.clear()


def run_stage(url: str, run_id: str, month: date, name: str, step: Callable[[], T]) -> T:
    with stage(url, run_id, month, name):
        return step()


# --- the steps -----------------------------------------------------------------------------


def prepare(url: str, landing: Path, month: date, run_id: str) -> list[str]:
    """Set the warehouse up if it is new and list the feeds that arrived for the month."""
    from fangpin.pipeline.housekeeping import clear_dead_runs
    from fangpin.pipeline.setup import ensure_warehouse
    from fangpin.warehouse.writer_lock import writer_lock

    ensure_warehouse(url)
    with writer_lock(url, f"prepare {month:%Y-%m} run {run_id}", wait_seconds=None):
        clear_dead_runs(url, noticed_by=run_id)

    def _discover() -> list[str]:
        from fangpin.load import discover
        from fangpin.load.landing import landing_report, record_landing_report

        # Every entry of the month the loader will not take, with reason and hint: kept in
        # ops.landing_issue for the run summary (a misnamed folder must not go unnoticed).
        record_landing_report(url, landing_report(landing, month), run_id)
        feeds = discover(landing).get(month, [])
        if "registry_households" not in feeds or "registry_members" not in feeds:
            raise StageFailed(
                f"{month:%Y-%m}: the registry (registry_households and registry_members) has not "
                f"arrived in {landing / f'{month:%Y-%m}'}; the month cannot be built without it"
            )
        return sorted(feeds)

    return run_stage(url, run_id, month, "prepare", _discover)


def registry_arrived(landing: Path, month: date) -> bool:
    """Whether both registry feeds have a data file for the month.

    Asks the loader's own ``feed_files``, so a file counts as arrived exactly when the load
    would take it (an Excel lock file ``~$….xlsx`` does not).
    """
    from fangpin.load.loader import feed_files, month_folder

    folder = month_folder(landing, month)
    return all(feed_files(folder / feed) for feed in ("registry_households", "registry_members"))


def check_registry(url: str, landing: Path, month: date, run_id: str, wait: bool = True) -> bool:
    """True once the registry has landed; when not waiting, a missing registry fails the run."""
    if registry_arrived(landing, month):
        return True
    if not wait:
        from fangpin.pipeline.setup import ensure_warehouse

        ensure_warehouse(url)

        def _missing() -> bool:
            raise StageFailed(
                f"{month:%Y-%m}: no registry in {landing / f'{month:%Y-%m}'} "
                "(registry_households and registry_members are both required)"
            )

        return run_stage(url, run_id, month, "wait_for_registry", _missing)
    return False


def load(url: str, landing: Path, month: date, feed: str, run_id: str) -> dict:
    """Load one feed's delivery for the month (skipped when the same bytes were loaded).

    A rejected file does not fail the step: the feed-month is not taken, the delivery in force
    stays (``fangpin.load.rejections``), and the result says so (``status`` ``rejected``, the
    file, the cause and what stays in force) for the run's summary. The stage is recorded as
    ``rejected`` in ``ops.run_log``. Only a rejected registry with no earlier registry snapshot
    in reach fails the step: that month cannot be built (RULES.md "Time").
    """
    from fangpin.load import FeedRejected, load_feed_month
    from fangpin.load.rejections import rejection

    with stage(url, run_id, month, f"load:{feed}") as end:
        try:
            result = load_feed_month(url, landing, month, feed, run_id=run_id)
        except FeedRejected as exc:
            found = rejection(url, feed, month, exc.file_name or "?", str(exc), run_id)
            if found.month_not_built:
                raise StageFailed(
                    f"{month:%Y-%m}: the month is not built: {found.line()}"
                ) from exc
            end.status, end.detail = "rejected", found.line()
            log.warning("%s", found.line())
            return found.as_result()
    return _as_dict(result)


def transform(url: str, month: date, run_id: str) -> dict:
    """One ``dbt build`` for the month into the build schema; what it built and tested."""
    from fangpin.transform.dbt import dbt_build

    built = run_stage(url, run_id, month, "transform",
                      lambda: dbt_build(url, month, run_id=run_id))
    return built.summary()


def audit(url: str, month: date, run_id: str) -> dict:
    """Run the quality gate; a blocking failure refuses the publish and fails the stage."""
    from fangpin.audit import run_audit
    from fangpin.publish import refuse

    def _audit() -> dict:
        outcome = run_audit(url, month, run_id)
        if not outcome.passed:
            reason = outcome.refusal_reason
            refuse(url, month, run_id, reason)
            raise StageFailed(f"{month:%Y-%m}: audit refused the publish; {reason}")
        return {"passed": True, "checks": len(outcome.results),
                "warnings": list(outcome.warnings), "failed": list(outcome.blocking_failures)}

    return run_stage(url, run_id, month, "audit", _audit)


def publish(url: str, month: date, run_id: str) -> dict:
    """Swap the audited build into ``marts`` in one transaction; say how it went.

    A refusal raises ``PublishRefused``, which is not retryable (``fangpin.errors``).
    """
    from fangpin.faults import fault_point
    from fangpin.publish import publish as publish_build
    from fangpin.publish.swap import PublishOutcome

    def _publish() -> PublishOutcome:
        fault_point("publish")  # tests kill here: the publish stage open, marts untouched
        return publish_build(url, month, run_id)

    outcome = run_stage(url, run_id, month, "publish", _publish)
    return {"status": outcome.status, "attempts": outcome.attempts}


def _as_dict(result: object) -> dict:
    if isinstance(result, dict):
        return result
    if hasattr(result, "__dataclass_fields__"):
        from dataclasses import asdict

        return {
            k: (str(v) if isinstance(v, (Path, date)) else v)
            for k, v in asdict(cast(Any, result)).items()  # a dataclass: checked just above
        }
    return {"result": str(result)}
