"""How an audit check is declared: a check, a suite, a severity, and the builders for both.

This is the vocabulary only. The declarations themselves are in ``fangpin.audit.suites``: one
module per layer for raw and staging (derived from the feed contracts) and one module per
published table under ``suites/marts/``, each reading as that table's whole gate. The
Great Expectations suites under ``expectations/expectations/`` are generated from them at
build time (``make suites``) and a test keeps the files equal to the declarations; the audit
reads the files and never writes them. Nothing here imports Great Expectations: DAG parsing
and ``fangpin status`` stay fast.

Severity: *blocking* refuses the publish; *warning* publishes and is recorded. The rule of thumb
is that a blocking check guards the warehouse's integrity (keys, codes, flags that contradict
the rules, published values out of their domain), while a warning flags something a person
should look at but that does not make the published numbers wrong (a date out of range in one
department's record, an implausible income jump).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["blocking", "warning"]
BLOCKING: Severity = "blocking"
WARNING: Severity = "warning"

#: The raw metadata that locates a row: the snapshot it belongs to, its file and line.
SNAPSHOT_COLUMN = "_snapshot_month"
SOURCE_COLUMNS = ("_source_file", "_source_line")
#: The same in staging, which keeps it under plain names (dbt models/staging), and the
#: contract columns that staging renames.
STAGING_SNAPSHOT_COLUMN = "snapshot_month"
STAGING_SOURCE_COLUMNS = ("source_file", "source_line")
STAGING_RENAMES = {"name": "person_name"}


@dataclass(frozen=True)
class Check:
    """One expectation: its stable name, its severity and the GX class and arguments.

    ``columns`` names the columns the check is about, so that a failing row's sample keeps
    them (and little else) when the query returns whole rows.
    """

    name: str
    severity: Severity
    expectation: str
    kwargs: Mapping[str, Any]
    description: str
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuiteSpec:
    """One suite and the batch it validates.

    ``schema`` None means the audited build schema, reached through the connection's
    ``search_path`` so that the same suite audits ``marts_build`` or any other build.
    For staging, ``table`` is the feed: the view is whichever staging view reads ``raw.<feed>``.
    ``month_column`` set: the batch is that month's rows; None: the whole table.
    ``required`` False: the table may not exist yet (a later mart), its absence is a warning.
    ``empty_month_ok``: no rows for the month is normal (a feed not delivered, no doubt points).
    """

    name: str
    layer: str
    table: str
    schema: str | None
    month_column: str | None
    sample_columns: tuple[str, ...]
    checks: tuple[Check, ...]
    required: bool = True
    empty_month_ok: bool = False
    meta: Mapping[str, Any] = field(default_factory=dict)


# --- building blocks ---------------------------------------------------------------------


def check(
    name: str, severity: Severity, expectation: str, description: str,
    columns: Iterable[str] = (), **kwargs: Any,
) -> Check:
    """Any GX expectation by class name; the helpers below cover the common ones."""
    return Check(name, severity, expectation, kwargs, description, tuple(columns))


def rows_query(body: str) -> str:
    """An UnexpectedRowsExpectation query over the batch, as the CTE ``batch_rows``.

    GX substitutes ``{batch}`` with the table, or for a month's batch with a subquery that it
    aliases itself unless the query contains JOIN (then the query must alias it). Wrapping the
    batch in one CTE hides that difference, so every body reads ``from batch_rows``.
    """
    alias = " as batch_source" if re.search(r"\bjoin\b", body, re.IGNORECASE) else ""
    return f"with batch_rows as (select * from {{batch}}{alias})\n{textwrap.dedent(body).strip()}"


def unexpected_rows(
    name: str, severity: Severity, description: str, body: str, columns: Iterable[str] = ()
) -> Check:
    return check(
        name, severity, "UnexpectedRowsExpectation", description, columns,
        unexpected_rows_query=rows_query(body),
    )


def not_null(column: str, severity: Severity = BLOCKING) -> Check:
    return check(
        f"{column}_not_null", severity, "ExpectColumnValuesToNotBeNull",
        f"{column} is required", [column], column=column,
    )


def in_set(column: str, values: Iterable[str], severity: Severity = BLOCKING) -> Check:
    return check(
        f"{column}_in_set", severity, "ExpectColumnValuesToBeInSet",
        f"{column} is one of the codes of its closed enumeration", [column],
        column=column, value_set=sorted(values),
    )


def between(
    name: str, column: str, severity: Severity, description: str,
    min_value: float | None = None, max_value: float | None = None,
) -> Check:
    return check(
        name, severity, "ExpectColumnValuesToBeBetween", description, [column],
        column=column, min_value=min_value, max_value=max_value,
    )


def matches(name: str, column: str, regex: str, severity: Severity, description: str) -> Check:
    return check(
        name, severity, "ExpectColumnValuesToMatchRegex", description, [column],
        column=column, regex=regex,
    )


def unique(columns: tuple[str, ...], name: str, severity: Severity, description: str) -> Check:
    if len(columns) == 1:
        return check(
            name, severity, "ExpectColumnValuesToBeUnique", description, columns,
            column=columns[0],
        )
    return check(
        name, severity, "ExpectCompoundColumnsToBeUnique", description, columns,
        column_list=list(columns),
    )


def row_count_at_least_one(description: str) -> Check:
    return check(
        "rows_for_month", BLOCKING, "ExpectTableRowCountToBeBetween", description, min_value=1
    )


def sql_list(values: Iterable[str]) -> str:
    """Codes as a SQL list of literals, for a check whose values are not a column's."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)
