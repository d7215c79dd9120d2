"""Run every suite for a month, record every check, decide whether the build may be published.

The audit never raises for bad data: a table that is missing, a staging view that cannot be
found, even a check that errors, all become failed checks with a severity, so the publish
gate always gets a verdict and ``ops.audit_result`` always says why. Errors fail closed: a
blocking check that could not run counts as failed.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from fangpin.audit import batches, id_scan
from fangpin.audit.checks import (
    BLOCKING,
    SNAPSHOT_COLUMN,
    STAGING_RENAMES,
    STAGING_SNAPSHOT_COLUMN,
    WARNING,
    Severity,
    SuiteSpec,
)
from fangpin.audit.suites import all_suites
from fangpin.config import expectations_dir
from fangpin.faults import fault_point
from fangpin.feeds.contracts import FEEDS
from fangpin.warehouse.connection import batch_options, one_row

log = logging.getLogger("fangpin.audit")

SAMPLE_ROWS = 5
#: Failing rows of queries that return whole rows keep only the columns that locate and
#: explain them: past this many columns a sample row is cut down.
_WIDE_ROW = 8
#: Anything shaped like an id number, valid or not (a malformed one is still someone's): 6
#: digits, at least 5 more, 3 digits and a last character; 15-digit old numbers included.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])([0-9]{6})[0-9]{5,}([0-9]{3}[0-9A-Za-z])(?![0-9A-Za-z])")
_NAME_KEYS = ("name", "person_name", "head_name", "member_name")


@dataclass(frozen=True)
class CheckResult:
    """One check of one run, as recorded in ``ops.audit_result``."""

    suite: str
    check_name: str
    severity: Severity
    passed: bool
    observed_value: str
    sample_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.suite}/{self.check_name}"


@dataclass(frozen=True)
class AuditOutcome:
    """The verdict: ``passed`` is False when any blocking check failed."""

    run_id: str
    month: date
    schema: str
    passed: bool
    blocking_failures: list[str]
    warnings: list[str]
    results: list[CheckResult]
    seconds: float
    docs: Path | None = None

    @property
    def refusal_reason(self) -> str:
        """Every blocking failure with what it saw and the keys of its failing rows."""
        return "blocking checks failed: " + "; ".join(
            describe_failure(r.label, r.observed_value, r.sample_rows)
            for r in self.results
            if not r.passed and r.severity == BLOCKING
        )

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "REFUSED"
        lines = [
            f"audit {self.month:%Y-%m} of {self.schema} (run {self.run_id}): {verdict}; "
            f"{len(self.results)} checks, {len(self.blocking_failures)} blocking failures, "
            f"{len(self.warnings)} warnings, {self.seconds:.1f} s"
        ]
        lines += [f"  blocking: {label}" for label in self.blocking_failures]
        lines += [f"  warning:  {label}" for label in self.warnings]
        if self.docs:
            lines.append(f"  data docs: {self.docs}")
        return "\n".join(lines)


#: A refusal message stays readable: this many characters of failing rows per check.
_KEYS_CHARS = 600


def describe_failure(
    label: str, observed: str | None, sample_rows: Sequence[Mapping[str, Any]] | None
) -> str:
    """``suite/check (what it saw): key=value, ...; key=value, ...`` for a refusal message.

    The sample rows are the check's failing rows as recorded (id numbers masked, wide rows cut
    down to the columns that locate them), so the message names what failed, not just the check.
    """
    rows = [
        ", ".join(f"{k}={v}" for k, v in row.items() if v is not None)
        for row in (sample_rows or [])[:SAMPLE_ROWS]
    ]
    keys = "; ".join(r for r in rows if r)
    if len(keys) > _KEYS_CHARS:
        keys = keys[: _KEYS_CHARS - 1] + "…"
    text = f"{label} ({observed})" if observed else label
    return f"{text}: {keys}" if keys else text


def run_audit(
    url: str,
    month: date,
    run_id: str,
    schema: str = "marts_build",
    *,
    gx_dir: Path | None = None,
    docs: bool = True,
) -> AuditOutcome:
    """Audit raw loads, staging and the build ``schema`` for ``month``; record every check.

    ``gx_dir`` is the GX project (default ``expectations/``; tests pass a copy). ``docs``
    False skips the Data Docs (about a second) when nobody will read them.
    """
    started = time.perf_counter()
    month = month.replace(day=1)
    specs = all_suites()
    by_suite: dict[str, list[CheckResult]] = {}
    validations_of: dict[str, list[Any]] = {}
    with (
        psycopg.connect(url, autocommit=True, options=batch_options()) as conn,
        batches.batch_schema(conn),
        ThreadPoolExecutor(1, thread_name_prefix="audit-id-scan") as scanner,
        batches.MonthCopies(url, month) as copies,
    ):
        # The id scan reads the build only (no batch, no GX): on its own connection, while
        # the suites run.
        id_numbers = scanner.submit(_id_number_scan, url, schema)
        catalog = _Catalog(conn, schema)
        tables = {spec.name: catalog.resolve(spec) for spec in specs}
        # Suites whose month is a view of a table run first, while the copies of the views'
        # months (staging) are made on the other connection; the record keeps declared order.
        order = sorted(specs, key=lambda spec: catalog.copied(spec, tables[spec.name][0]))
        # Asked before Great Expectations is imported (seconds of Python): PostgreSQL copies
        # meanwhile. A stale suite's month, never read, goes with the schema.
        for spec in order:
            table, _ = tables[spec.name]
            if spec.month_column and table is not None:
                copies.ask(spec, catalog.schema_of(spec), table, copy=catalog.copied(spec, table))
        from fangpin.audit import gx_project  # Great Expectations: seconds, once per process

        context = gx_project.open_context(gx_dir or expectations_dir())
        # The committed suites are the ones that run, and the audit never rewrites them: one
        # that is missing or says otherwise than its declaration is refused, not repaired in
        # passing.
        stale = gx_project.stale_suites(context, specs)
        with gx_project.connected(url, schema):
            for spec in order:
                if spec.name in stale:
                    by_suite[spec.name] = [
                        _stale_suite(spec, stale[spec.name], gx_project.REGENERATE)
                    ]
                    continue
                suite_started = time.perf_counter()
                validations_of[spec.name] = []
                by_suite[spec.name] = _run_suite(
                    gx_project, context, spec, month, catalog, tables[spec.name], copies,
                    validations_of[spec.name],
                )
                log.info("suite %s: %.2f s", spec.name, time.perf_counter() - suite_started)
                fault_point("audit")  # tests kill here: copies in audit_batch, checks under way
        scanned = id_numbers.result()
    results = [r for spec in specs for r in by_suite[spec.name]] + scanned
    validations = [v for spec in specs for v in validations_of.get(spec.name, [])]
    blocking = [r.label for r in results if not r.passed and r.severity == BLOCKING]
    warnings = [r.label for r in results if not r.passed and r.severity == WARNING]
    _record(url, run_id, month, results, attempt=uuid.uuid4().hex)
    _log(results)
    docs_index = (
        # A stale suite refuses the month; Data Docs of such a run would show suites that
        # are not the declared ones, so there are none (ops.audit_result says why).
        gx_project.rebuild_docs(context, validations, run_id) if docs and not stale else None
    )
    outcome = AuditOutcome(
        run_id=run_id, month=month, schema=schema, passed=not blocking,
        blocking_failures=blocking, warnings=warnings, results=results,
        seconds=time.perf_counter() - started, docs=docs_index,
    )
    log.info("%s", outcome)
    return outcome


def _id_number_scan(url: str, schema: str) -> list[CheckResult]:
    """The blocking scan for id numbers in every text column of the build (``id_scan``), on
    a connection of its own; one that cannot run fails closed."""
    started = time.perf_counter()
    try:
        with psycopg.connect(url, autocommit=True, options=batch_options()) as conn:
            found = id_scan.scan(conn, schema)
    except Exception as error:  # noqa: BLE001 - a scan that did not run is a failed check
        log.exception("id number scan could not run")
        return [CheckResult(id_scan.SUITE, "scan_ran", BLOCKING, False, f"error: {error}")]
    log.info("suite %s: %.2f s", id_scan.SUITE, time.perf_counter() - started)
    return [CheckResult(id_scan.SUITE, name, BLOCKING, ok, seen) for name, ok, seen in found]


def _stale_suite(spec: SuiteSpec, reason: str, remedy: str) -> CheckResult:
    """A suite whose committed file is not its declaration: blocking, whatever its table."""
    log.error("audit suite %s not run: %s; %s", spec.name, reason, remedy)
    return CheckResult(spec.name, "suite_current", BLOCKING, False, f"{reason}: {remedy}")


# --- one suite -----------------------------------------------------------------------------


def _run_suite(
    gx_project: Any,
    context: Any,
    spec: SuiteSpec,
    month: date,
    catalog: _Catalog,
    resolved: tuple[str | None, str],
    copies: batches.MonthCopies,
    validations: list,
) -> list[CheckResult]:
    # A suite that cannot run fails closed, unless its table is one that may not exist yet.
    unavailable: Severity = BLOCKING if spec.required else WARNING
    table, problem = resolved
    if table is None:
        return [CheckResult(spec.name, "table_present", unavailable, False, problem)]
    sample_columns = [c for c in spec.sample_columns if c in catalog.columns(spec, table)]
    try:
        if spec.month_column:
            # The month's rows, copied once; an empty month needs no GX at all.
            rows = copies.rows(spec)
            validation = None if rows == 0 else gx_project.validate(
                context, spec, batches.table_name(spec), sample_columns, sample_size=SAMPLE_ROWS
            )
            batches.drop_copy(catalog.conn, spec, copy=catalog.copied(spec, table))
        else:
            if spec.schema:  # batches are found on the search path: build, then audit_batch
                raise ValueError(f"{spec.name}: a whole-table suite audits the build schema only")
            rows = catalog.row_count(spec, table)
            validation = gx_project.validate(
                context, spec, table, sample_columns, sample_size=SAMPLE_ROWS
            )
    except Exception as error:  # noqa: BLE001 - any failure to run is a failed check
        log.exception("audit suite %s could not run", spec.name)
        return [CheckResult(spec.name, "suite_ran", unavailable, False, f"error: {error}")]
    if validation is None:
        if spec.empty_month_ok:
            note = f"no rows for {month:%Y-%m}: nothing to check"
            return [CheckResult(spec.name, c.name, c.severity, True, note) for c in spec.checks]
        return [
            CheckResult(spec.name, "rows_for_month", BLOCKING, False, f"no rows for {month:%Y-%m}")
        ]
    _scrub(validation)
    validations.append(validation)
    return [_check_result(spec, r, sample_columns, rows) for r in validation.results]


def _check_result(
    spec: SuiteSpec, result: Any, sample_columns: Sequence[str], rows: int
) -> CheckResult:
    meta = result.expectation_config.meta or {}
    name = meta.get("check") or result.expectation_config.type
    severity = meta.get("severity", BLOCKING)
    check = next((c for c in spec.checks if c.name == name), None)
    keep = {
        *sample_columns, SNAPSHOT_COLUMN, STAGING_SNAPSHOT_COLUMN,
        *(check.columns if check else ()),
    }
    error = _exception_message(result.exception_info)
    if error:
        return CheckResult(spec.name, name, severity, False, f"error: {error}")
    body = result.result or {}
    if result.success:
        # Passing checks ran BOOLEAN_ONLY (gx_project.validate): no counts came back.
        observed = _observed(body) or f"passed on {rows} rows"
        return CheckResult(spec.name, name, severity, True, observed)
    sample = _sample_rows(body, keep)
    return CheckResult(spec.name, name, severity, False, _observed(body), sample)


def _exception_message(info: Any) -> str | None:
    """GX reports an expectation that could not run as exception_info, not as an error."""
    if not info:
        return None
    if isinstance(info, Mapping) and "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    if isinstance(info, Mapping):
        for value in info.values():
            message = _exception_message(value)
            if message:
                return message
    return None


def _observed(body: Mapping[str, Any]) -> str:
    if "unexpected_count" in body:
        total = body.get("element_count")
        return f"{body['unexpected_count']} of {total} rows unexpected"
    if "details" in body and "observed_value" in body:
        return f"{body['observed_value']} unexpected rows"
    if "observed_value" in body:
        return json.dumps(body["observed_value"], default=str, ensure_ascii=False)[:500]
    return ""


def _sample_rows(body: Mapping[str, Any], keep: Iterable[str]) -> list[dict[str, Any]]:
    rows: list[Any] = (
        (body.get("details") or {}).get("unexpected_rows")
        or body.get("partial_unexpected_index_list")
        or body.get("partial_unexpected_list")
        or []
    )
    keep = set(keep)
    sample = []
    for row in rows[:SAMPLE_ROWS]:
        row = dict(row) if isinstance(row, Mapping) else {"value": row}
        if len(row) > _WIDE_ROW:
            row = {k: v for k, v in row.items() if k in keep} or dict(list(row.items())[:_WIDE_ROW])
        sample.append(json.loads(json.dumps(row, default=str, ensure_ascii=False)))
    return sample


def _scrub(validation: Any) -> None:
    """Mask id numbers and names in the results before anything stores or logs them.

    Raw and staging rows carry full id numbers; the audit record, the log and the Data Docs
    are read by more people than the raw layer is, so they get what the marts publish:
    the first 6 and last 4 characters.
    """
    for result in validation.results:
        if result.result:
            result.result = mask(result.result)


def mask(value: Any) -> Any:
    """A copy of ``value`` (nested dicts/lists) with id numbers masked and names reduced."""
    if isinstance(value, str):
        return _ID_NUMBER.sub(
            lambda m: m.group(1) + "*" * (len(m.group(0)) - 10) + m.group(2), value
        )
    if isinstance(value, Mapping):
        return {
            k: (_mask_name(v) if k in _NAME_KEYS else mask(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask(v) for v in value]
    return value


def _mask_name(value: Any) -> Any:
    return value[:1] + "*" * (len(value) - 1) if isinstance(value, str) and value else value


# --- where the suites' tables are ----------------------------------------------------------


class _Catalog:
    """What exists in the database being audited: tables, their columns, staging views."""

    def __init__(self, conn: psycopg.Connection, schema: str) -> None:
        self.conn = conn
        self.schema = schema
        rows = conn.execute(
            """
            select n.nspname, c.relname, c.relkind::text,
                   array_agg(a.attname::text order by a.attnum)
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            where n.nspname = any(%s) and c.relkind in ('r', 'v', 'm', 'p', 'f')
            group by n.nspname, c.relname, c.relkind
            """,
            ([schema, "raw", "ops", "staging"],),
        ).fetchall()
        self._columns = {(s, t): cols for s, t, _, cols in rows}
        self._kinds = {(s, t): kind for s, t, kind, _ in rows}
        # Staging views by the raw table they read (pg_depend through the view's rewrite rule).
        self._staging: dict[str, list[str]] = {}
        for view, feed in conn.execute(
            """
            select distinct v.relname, t.relname
            from pg_depend d
            join pg_rewrite r on r.oid = d.objid and d.classid = 'pg_rewrite'::regclass
            join pg_class v on v.oid = r.ev_class
            join pg_class t on t.oid = d.refobjid and d.refclassid = 'pg_class'::regclass
            where v.relnamespace = 'staging'::regnamespace
              and t.relnamespace = 'raw'::regnamespace
              and v.oid <> t.oid
            order by 1
            """
        ).fetchall():
            self._staging.setdefault(feed, []).append(view)

    def schema_of(self, spec: SuiteSpec) -> str:
        return spec.schema or self.schema

    def copied(self, spec: SuiteSpec, table: str | None) -> bool:
        """Whether the month of ``table`` is copied (a view: staging) or a view of it (a
        table: raw, the marts); see ``fangpin.audit.batches``."""
        if not spec.month_column or table is None:
            return False
        return self._kinds.get((self.schema_of(spec), table)) == "v"

    def columns(self, spec: SuiteSpec, table: str) -> list[str]:
        return self._columns.get((self.schema_of(spec), table), [])

    def row_count(self, spec: SuiteSpec, table: str) -> int:
        query = sql.SQL("select count(*) from {}").format(
            sql.Identifier(self.schema_of(spec), table)
        )
        return int(one_row(self.conn.execute(query))[0])

    def resolve(self, spec: SuiteSpec) -> tuple[str | None, str]:
        """The table a suite validates, or None and why not."""
        if spec.layer == "staging":
            views = self._staging.get(spec.table, [])
            if not views:
                return None, f"no staging view reads raw.{spec.table}"
            # Several views may read one feed; the suite is for the one presenting the contract.
            wanted = {STAGING_RENAMES.get(c.name, c.name) for c in FEEDS[spec.table].columns}
            best = max(views, key=lambda v: len(wanted & set(self.columns(spec, v))))
            if spec.month_column not in self.columns(spec, best):
                return None, f"staging.{best} lacks {spec.month_column}: the month cannot be chosen"
            return best, ""
        schema = self.schema_of(spec)
        if (schema, spec.table) in self._columns:
            return spec.table, ""
        state = "is missing" if spec.required else "is not built yet"
        return None, f"{schema}.{spec.table} {state}"


# --- the record ----------------------------------------------------------------------------


def _record(
    url: str, run_id: str, month: date, results: Sequence[CheckResult], attempt: str
) -> None:
    """Every check of one audit, under one ``attempt`` id: a re-run of the audit under the
    same ``run_id`` (Airflow's Clear) is a new attempt, and the publish relies on the latest."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.executemany(
            """
            insert into ops.audit_result
                (run_id, month, suite, check_name, severity, passed, observed_value, sample_rows,
                 attempt)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            [
                (
                    run_id, month, r.suite, r.check_name, r.severity, r.passed,
                    r.observed_value, Jsonb(r.sample_rows) if r.sample_rows else None, attempt,
                )
                for r in results
            ],
        )


def _log(results: Sequence[CheckResult]) -> None:
    """Failing checks go to the task log with their sample rows: the first place people look."""
    for r in results:
        if r.passed:
            continue
        level = logging.ERROR if r.severity == BLOCKING else logging.WARNING
        log.log(
            level, "audit check failed [%s] %s: %s; sample rows: %s",
            r.severity, r.label, r.observed_value,
            json.dumps(r.sample_rows, ensure_ascii=False, default=str),
        )
