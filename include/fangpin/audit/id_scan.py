"""A blocking audit check: no valid id number in any text column of the build.

Why a check of its own, outside the GX suites: the suites check the columns they know, and an
id number can reach a mart through a column nobody thought of (a department that keys its
households by the head's id number made 391 plain id numbers readable in
``fct_household_month``, issue 12). So every text-like column (text, varchar, char, json) of
every table and view in the build schema is scanned for 18-character tokens that are valid id
numbers (shape and MOD 11-2 check character: ``ops.id_number_valid``), one scan per table.
A hit refuses the publish, naming table, column and count - never the values.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg import sql

from fangpin.warehouse.connection import one_row

SUITE = "marts.id_number_scan"
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")
#: A cheap prefilter before the token regex: 17 digits in a row somewhere.
_PREFILTER = "[0-9]{17}"


def text_columns(conn: psycopg.Connection, schema: str) -> dict[str, list[str]]:
    """``{table: [text-like columns]}`` of every table and view in ``schema``."""
    found: dict[str, list[str]] = {}
    for table, column in conn.execute(
        "select c.table_name, c.column_name from information_schema.columns c"
        " where c.table_schema = %s and c.data_type = any(%s)"
        " order by c.table_name, c.ordinal_position",
        (schema, list(TEXT_TYPES)),
    ):
        found.setdefault(table, []).append(column)
    return found


def id_number_counts(
    conn: psycopg.Connection, schema: str, table: str, columns: Iterable[str]
) -> dict[str, int]:
    """Values holding a valid id number, per column, in one scan of the table.

    The token regex (``ops.id_numbers_in``, a set-returning query per value) runs only on a
    value the prefilter let through: a CASE says so, where an AND leaves the order to the
    planner."""
    columns = list(columns)
    counts = sql.SQL(", ").join(
        sql.SQL(
            "count(*) filter (where case when {c}::text ~ {p}"
            " then ops.id_numbers_in({c}::text) > 0 else false end)"
        ).format(c=sql.Identifier(c), p=sql.Literal(_PREFILTER))
        for c in columns
    )
    row = one_row(conn.execute(
        sql.SQL("select {} from {}.{}").format(counts, sql.Identifier(schema),
                                               sql.Identifier(table))
    ))
    return dict(zip(columns, row, strict=True))


def scan(conn: psycopg.Connection, schema: str) -> list[tuple[str, bool, str]]:
    """``(check name, passed, observed)`` per table (clean) or per column with id numbers."""
    results: list[tuple[str, bool, str]] = []
    for table, columns in text_columns(conn, schema).items():
        hits = {c: n for c, n in id_number_counts(conn, schema, table, columns).items() if n}
        if not hits:
            results.append((table, True, f"{len(columns)} text columns, no id number"))
        for column, count in hits.items():
            results.append((f"{table}.{column}: {count} id numbers", False,
                            f"{count} values of {table}.{column} hold a valid id number"))
    return results
