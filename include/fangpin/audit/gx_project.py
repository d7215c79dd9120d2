"""The Great Expectations file project under ``expectations/``: generated, then only read.

What lives there (committed): ``great_expectations.yml`` (one Postgres data source whose
connection string is the config variable ``${FANGPIN_AUDIT_URL}``, never a literal URL; its
table assets and batch definitions) and ``expectations/<layer>/<name>.json`` (the suites,
rendered from ``fangpin.audit.suites``). Both are written by ``write_suites`` at build time
(``make suites``); the audit reads them, and refuses a suite whose file is missing or stale
(``stale_suites``) instead of rewriting a committed file. What is not committed
(``uncommitted/``): the latest run's validation results and the Data Docs built from them.

GX pitfalls handled here: objects are looked up before they are added (re-adding changes
their ids and ``add_or_update_postgres`` silently drops assets, so it is never used); progress
bars are off (they reach the Airflow log as errors); the validation store keeps the latest
run only (Data Docs slow down badly with thousands of stored runs).

This module imports Great Expectations at the top: import it inside the task that audits.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context import FileDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.exceptions import DataContextError

from fangpin.audit import batches
from fangpin.audit.checks import BLOCKING, Check, SuiteSpec
from fangpin.warehouse.connection import batch_options, sqlalchemy_url

log = logging.getLogger(__name__)

DATASOURCE = "warehouse"
#: The config variable the data source's connection string names; set by ``audit_url``.
URL_VARIABLE = "FANGPIN_AUDIT_URL"
WHOLE_TABLE = "whole_table"

_contexts: dict[Path, FileDataContext] = {}


# --- a GX 1.24 patch: a query check's pass/fail without its rows ---------------------------
#
# ``UnexpectedRowsExpectation`` depends on two metrics in every result format: the query's
# row count and the query's rows (``unexpected_rows_query.table``, up to 200 of them, fetched
# into Python). Its BOOLEAN_ONLY result is only ``success``, from the count: the rows are
# fetched and thrown away, one more run of the check's query per check. The audit's first pass
# is BOOLEAN_ONLY for every check (``validate``), and a failing check runs again with COMPLETE,
# which does fetch its rows; so in BOOLEAN_ONLY the rows metric is not asked for, and
# ``_validate`` answers from the count, as GX does. Read against the installed source
# (great_expectations/expectations/core/unexpected_rows_expectation.py, 1.24.1); other
# versions are left unpatched (``ROWS_PATCHED`` False) and a test fails until this is checked
# again.

_ROWS_METRIC = "unexpected_rows_query.table"
_COUNT_METRIC = "unexpected_rows_query.row_count"


def _boolean_only(result_format: Any) -> bool:
    if isinstance(result_format, dict):
        result_format = result_format.get("result_format")
    return str(result_format).upper() == "BOOLEAN_ONLY"


def _patch_unexpected_rows() -> bool:
    cls = gxe.UnexpectedRowsExpectation
    if not gx.__version__.startswith("1.24."):
        log.warning("great_expectations %s: UnexpectedRowsExpectation not patched", gx.__version__)
        return False
    if getattr(cls, "_fangpin_patched", False):
        return True
    dependencies, validate = cls.get_validation_dependencies, cls._validate

    def get_validation_dependencies(
        self: Any, execution_engine: Any = None, runtime_configuration: dict | None = None
    ) -> Any:
        found = dependencies(self, execution_engine, runtime_configuration)
        if _boolean_only(found.result_format) and found.get_metric_configuration(_ROWS_METRIC):
            found.remove_metric_configuration(_ROWS_METRIC)
        return found

    def _validate(
        self: Any, metrics: dict, runtime_configuration: dict | None = None,
        execution_engine: Any = None,
    ) -> Any:
        if _ROWS_METRIC not in metrics:  # BOOLEAN_ONLY: GX's own answer, from the count
            return {"success": metrics[_COUNT_METRIC] == 0}
        return validate(self, metrics, runtime_configuration, execution_engine)

    cls.get_validation_dependencies = get_validation_dependencies
    cls._validate = _validate
    cls._fangpin_patched = True
    return True


ROWS_PATCHED = _patch_unexpected_rows()
#: Projects whose committed configuration had progress bars or analytics on when opened.
_loud_on_disk: set[Path] = set()


def open_context(root: Path) -> FileDataContext:
    """The file context at ``root``, opened once per process (opening re-reads every file)."""
    root = root.resolve()
    context = _contexts.get(root)
    if context is None:
        context = gx.get_context(mode="file", context_root_dir=root)
        if _quiet(context):
            _loud_on_disk.add(root)
        _contexts[root] = context
    return context


def _quiet(context: FileDataContext) -> bool:
    """Progress bars (they reach the Airflow log as errors) and analytics off, in memory; True
    when they were on. Only the generator saves this (``write_suites``)."""
    variables = context.variables
    bars = variables.progress_bars  # a ProgressBarsConfig when set here, a dict when read back
    if isinstance(bars, dict):
        bars_on = bars.get("globally", True)
    else:
        bars_on = bars is None or bars.globally
    if variables.analytics_enabled is not False or bars_on:
        variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        variables.analytics_enabled = False
        return True
    return False


def audit_url(url: str, schema: str) -> str:
    """The SQLAlchemy URL GX connects with: the build schema, then ``audit_batch``, on the
    search path.

    Every batch is named unqualified: a whole-table suite's mart is found in the build schema
    the audit is pointed at, a month-grained suite's copy in ``audit_batch`` (the copies' names,
    ``<layer>__<name>``, never clash with a mart's). Inside the checks, raw, staging, seeds and
    ops are always named with their schema. No asset carries a ``schema_name`` (deprecated in
    GX 1.x in favour of the connection's own configuration, which this is).
    """
    parts = urlsplit(sqlalchemy_url(url))
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("options", "application_name")]
    options = f"-c search_path={schema},{batches.SCHEMA} {batch_options()}".strip()
    query += [("options", options), ("application_name", "fangpin-audit")]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


@contextmanager
def connected(url: str, schema: str) -> Iterator[None]:
    """Give the data source its connection string for the duration of an audit."""
    previous = os.environ.get(URL_VARIABLE)
    os.environ[URL_VARIABLE] = audit_url(url, schema)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(URL_VARIABLE, None)
        else:
            os.environ[URL_VARIABLE] = previous


# --- suites --------------------------------------------------------------------------------


def expectation(check: Check) -> gxe.Expectation:
    """The GX expectation of a check; severity lives in ``meta`` (and GX's own field)."""
    cls = getattr(gxe, check.expectation)
    return cls(
        **check.kwargs,
        meta={"check": check.name, "severity": check.severity},
        description=check.description,
        severity="critical" if check.severity == BLOCKING else "warning",
    )


def _signature(expectations: Sequence[gxe.Expectation]) -> str:
    configs = []
    for e in expectations:
        config = e.configuration.to_json_dict()
        configs.append({k: v for k, v in config.items() if k not in ("id", "rendered_content")})
    return json.dumps(configs, sort_keys=True, default=str)


#: What ``make suites`` says: the one way stored suites are brought in line with the code.
REGENERATE = (
    "run `make suites` (python -m fangpin.audit.suites) and commit expectations/"
)


def stale_suites(context: FileDataContext, specs: Sequence[SuiteSpec]) -> dict[str, str]:
    """The suites whose stored file is missing or differs from its declaration, and how.

    Read-only: the audit calls this and refuses such a suite rather than rewrite a committed
    file (``fangpin.audit.run``); the test of the checked-in project expects it empty. Ids are
    not compared (GX assigns them; regenerating keeps those of suites that did not change).
    """
    stale = {}
    for spec in specs:
        try:
            stored = context.suites.get(spec.name).expectations
        except DataContextError:
            stale[spec.name] = f"{suite_path(context, spec.name)} is missing"
            continue
        except Exception as error:  # noqa: BLE001 - an unreadable suite is refused, not fatal
            stale[spec.name] = f"{suite_path(context, spec.name)} cannot be read ({error})"
            continue
        wanted = [expectation(c) for c in spec.checks]
        if _signature(stored) != _signature(wanted):
            stale[spec.name] = (
                f"{suite_path(context, spec.name)} differs from its declaration "
                f"({_difference(stored, wanted)})"
            )
    return stale


def _difference(stored: Sequence[gxe.Expectation], wanted: Sequence[gxe.Expectation]) -> str:
    """Which checks a stale file lacks, has in excess, or states otherwise."""
    def by_check(expectations: Sequence[gxe.Expectation]) -> dict[str, str]:
        return {
            str((e.meta or {}).get("check")): _signature([e]) for e in expectations
        }

    old, new = by_check(stored), by_check(wanted)
    parts = [
        f"{label}: {', '.join(names)}"
        for label, names in (
            ("declared, not stored", sorted(new.keys() - old.keys())),
            ("stored, not declared", sorted(old.keys() - new.keys())),
            ("stated otherwise", sorted(k for k in new.keys() & old.keys() if new[k] != old[k])),
        )
        if names
    ]
    return "; ".join(parts) or "order of the checks"


def suite_path(context: FileDataContext, name: str) -> Path:
    """Where the expectations store keeps suite ``name`` (``raw.education`` →
    ``expectations/raw/education.json``)."""
    return Path(context.root_directory) / "expectations" / (name.replace(".", "/") + ".json")


def undeclared_suites(context: FileDataContext, specs: Sequence[SuiteSpec]) -> list[str]:
    """Stored suites that no declaration names (a removed or renamed suite's leftover file)."""
    declared = {spec.name for spec in specs}
    return sorted(name for name in stored_suite_names(context) if name not in declared)


def stored_suite_names(context: FileDataContext) -> list[str]:
    """The suites the store holds, from their file names: nothing is parsed, so one broken
    file does not stop the listing (``stale_suites`` reports it)."""
    base = Path(context.root_directory) / "expectations"
    return sorted(
        ".".join(p.relative_to(base).with_suffix("").parts) for p in base.rglob("*.json")
    )


def write_suites(context: FileDataContext, specs: Sequence[SuiteSpec]) -> list[str]:
    """Make the project say what the declarations say: the generator's job, not the audit's.

    A suite that already matches is left alone (its file and ids unchanged), so regenerating
    after a one-check change shows a one-check diff; a suite no longer declared is deleted;
    every table a suite validates gets its asset and whole-table batch definition in
    ``great_expectations.yml``, so the audit only ever looks them up. Returns what changed.
    """
    changed = []
    for spec in specs:
        wanted = [expectation(c) for c in spec.checks]
        try:
            suite = context.suites.get(spec.name)
        except Exception:  # noqa: BLE001 - missing or unreadable: written afresh
            suite_path(context, spec.name).unlink(missing_ok=True)
            context.suites.add(gx.ExpectationSuite(name=spec.name, expectations=wanted))
            changed.append(spec.name)
            continue
        if _signature(suite.expectations) != _signature(wanted):
            suite.expectations = wanted
            suite.save()
            changed.append(spec.name)
    for name in undeclared_suites(context, specs):
        context.suites.delete(name)
        changed.append(f"{name} (deleted)")
    for table in audited_tables(specs):
        if _batch_definition(context, table) is None:
            _add_batch_definition(context, table)
            changed.append(f"asset {table}")
    root = Path(context.root_directory).resolve()
    if root in _loud_on_disk:
        context.variables.save()
        _loud_on_disk.discard(root)
        changed.append("progress bars and analytics off")
    if changed:
        log.info("GX project written: %s", ", ".join(changed))
    return changed


def audited_tables(specs: Sequence[SuiteSpec]) -> list[str]:
    """The tables GX validates: a month's copy in ``audit_batch`` or the whole build table."""
    return [batches.table_name(s) if s.month_column else s.table for s in specs]


def missing_assets(context: FileDataContext, specs: Sequence[SuiteSpec]) -> list[str]:
    """Tables a suite validates that have no asset and batch definition in the project."""
    return [t for t in audited_tables(specs) if _batch_definition(context, t) is None]


# --- data ----------------------------------------------------------------------------------


def datasource(context: FileDataContext) -> Any:
    """The one Postgres data source; its URL comes from ``${FANGPIN_AUDIT_URL}`` at run time."""
    try:
        return context.data_sources.get(DATASOURCE)
    except KeyError:
        return context.data_sources.add_postgres(
            DATASOURCE, connection_string="${" + URL_VARIABLE + "}"
        )


def _batch_definition(context: FileDataContext, table: str) -> Any | None:
    try:
        source = context.data_sources.get(DATASOURCE)
        return source.get_asset(table).get_batch_definition(WHOLE_TABLE)
    except LookupError:  # KeyError included: no data source, asset or batch definition
        return None


def _add_batch_definition(context: FileDataContext, table: str) -> None:
    source = datasource(context)
    try:
        asset = source.get_asset(table)
    except LookupError:
        asset = source.add_table_asset(table, table_name=table)
    asset.add_batch_definition_whole_table(WHOLE_TABLE)


def batch_definition(context: FileDataContext, table: str) -> Any:
    """The whole-table batch of ``table`` (found on the search path), as generated.

    Every batch is a whole table: a month-grained suite validates the copy of its month in
    ``audit_batch`` (``fangpin.audit.batches``), not a monthly partition of the full table.
    The audit never adds one (that rewrites ``great_expectations.yml``): a missing one is a
    suite that cannot run, and fails closed.
    """
    found = _batch_definition(context, table)
    if found is None:
        raise LookupError(f"no GX asset for {table} in great_expectations.yml: {REGENERATE}")
    return found


def validate(
    context: FileDataContext,
    spec: SuiteSpec,
    table: str,
    sample_columns: Sequence[str],
    sample_size: int = 5,
) -> ExpectationSuiteValidationResult:
    """Validate one suite on the whole of ``table``: a mart of the build, or a month's copy.

    Two passes. The suite first runs with ``BOOLEAN_ONLY``: one query per check, enough to
    say pass or fail. Asked for samples, GX runs two or three more queries per check (the
    unexpected values, the index list of the sample columns), and pays them for passing
    checks too, where they return nothing: at province scale that was two thirds of the
    audit. So only a check that failed runs again, alone, with the detailed format: at most
    ``sample_size`` failing values with the ``sample_columns`` that locate each row, at most
    200 rows of a failing query (GX's cap), never a whole broken table in memory. Its
    detailed result replaces the boolean one, so the record and the Data Docs show it.
    """
    batch = batch_definition(context, table).get_batch()
    suite = context.suites.get(spec.name)
    validation = batch.validate(suite, result_format={"result_format": "BOOLEAN_ONLY"})
    by_check = {(e.meta or {}).get("check"): e for e in suite.expectations}
    for index, result in enumerate(validation.results):
        check = (result.expectation_config.meta or {}).get("check")
        if result.success or check not in by_check:
            continue
        expectation = by_check[check]
        detailed = _detailed_format(expectation, sample_columns, sample_size)
        validation.results[index] = batch.validate(expectation, result_format=detailed)
    return validation


def _detailed_format(
    expectation: gxe.Expectation, sample_columns: Sequence[str], sample_size: int
) -> dict[str, Any]:
    """SUMMARY: counts and a LIMITed sample of values and locating columns. A query check
    returns its rows only in COMPLETE, where GX caps them at 200."""
    complete = isinstance(expectation, gxe.UnexpectedRowsExpectation)
    result_format: dict[str, Any] = {
        "result_format": "COMPLETE" if complete else "SUMMARY",
        "partial_unexpected_count": sample_size,
        "include_unexpected_rows": False,
    }
    if sample_columns:
        result_format["unexpected_index_column_names"] = list(sample_columns)
        result_format["return_unexpected_index_query"] = False
    return result_format


# --- data docs -----------------------------------------------------------------------------


def _suite_pages_to_render(context: FileDataContext, site: Path) -> list[str]:
    names = []
    for name in stored_suite_names(context):
        page = site / "expectations" / (name.replace(".", "/") + ".html")
        if not page.exists() or page.stat().st_mtime < suite_path(context, name).stat().st_mtime:
            names.append(name)
    return names


def rebuild_docs(
    context: FileDataContext,
    results: Sequence[ExpectationSuiteValidationResult],
    run_id: str,
) -> Path | None:
    """Replace the stored validation results and Data Docs with this run's, and only this run's.

    The results given are already scrubbed of id numbers (``fangpin.audit.run``); GX's own
    history is not kept, ``ops.audit_result`` is the record.
    """
    store = context.validation_results_store
    for key in store.list_keys():
        store.remove_key(key)
    run = RunIdentifier(run_name=run_id, run_time=datetime.now(UTC))
    resources: list = []
    for result in results:
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
            run_id=run,
            batch_identifier=result.batch_id or result.suite_name,
        )
        store.set(key, result)
        resources.append(key)
    site = Path(context.root_directory) / "uncommitted" / "data_docs" / "local_site"
    shutil.rmtree(site / "validations", ignore_errors=True)
    # Suite pages change only with the suites (make suites): render those missing or older
    # than their suite's file, not all 25 at every audit.
    resources += [
        ExpectationSuiteIdentifier(name=name) for name in _suite_pages_to_render(context, site)
    ]
    built = context.build_data_docs(resource_identifiers=resources)
    index = built.get("local_site")
    return Path(urlsplit(index).path) if index else None
