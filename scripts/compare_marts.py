#!/usr/bin/env python3
"""Compare the published marts of two warehouses, table by table and row by row.

Why: a refactoring of the dbt project (folders, macros, config) must leave what the marts hold
unchanged. Build the same generated province into two fresh databases, once with the code
before and once with the code after, with the same pseudonym key (``FANGPIN_PSEUDONYM_KEY``:
each warehouse would otherwise generate its own, and every pseudonym would differ), then::

    .venv/bin/python scripts/compare_marts.py postgresql://…/before postgresql://…/after

For every table and view of the schema (``marts`` unless ``--schema``) on either side it prints
the row count and an order-independent hash of all rows on each side, and whether they are
equal. The hash is the md5 of the sorted md5s of the rows (``row(columns)::text``), so two
tables are equal when they hold the same multiset of rows, whatever their physical order.

Columns that are legitimately run-specific are left out of the hash (and named in the output):
``RUN_SPECIFIC`` below. Exit status 0 when every table is equal on both sides, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

#: (table, column) pairs whose values depend on when the build ran, not on the data:
#: ``dim_month.built_at`` is now() at the build, ``mart_feed_reporting.first_loaded_at`` the
#: time the loader read the files. (``arrived_at``, the files' landing time, is compared: the
#: synth sets it from the delivery, so two builds of one province agree on it.)
RUN_SPECIFIC: frozenset[tuple[str, str]] = frozenset({
    ("dim_month", "built_at"),
    ("mart_feed_reporting", "first_loaded_at"),
})


@dataclass(frozen=True)
class TableDigest:
    """What one side holds for one table: its columns, row count and rows' hash."""

    columns: tuple[str, ...]
    rows: int
    digest: str


@dataclass(frozen=True)
class Comparison:
    """One table compared across the two warehouses (None: the side does not have it)."""

    table: str
    before: TableDigest | None
    after: TableDigest | None
    excluded: tuple[str, ...]

    @property
    def equal(self) -> bool:
        """Same columns, same row count and same rows on both sides."""
        return self.before is not None and self.before == self.after


def relations(conn: psycopg.Connection, schema: str) -> list[str]:
    """The tables and views of ``schema`` (materialized views too), by name."""
    rows = conn.execute(
        """
        select c.relname
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm')
        order by c.relname
        """,
        (schema,),
    ).fetchall()
    return [name for (name,) in rows]


def columns_of(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    """The columns of a relation in their order (attnum), dropped ones left out."""
    rows = conn.execute(
        """
        select a.attname
        from pg_attribute as a
        where a.attrelid = to_regclass(%s) and a.attnum > 0 and not a.attisdropped
        order by a.attnum
        """,
        (f'"{schema}"."{table}"',),
    ).fetchall()
    return [name for (name,) in rows]


def digest_query(schema: str, table: str, columns: Sequence[str]) -> sql.Composed:
    """count(*) and md5 of the sorted row md5s, over ``columns`` of the table."""
    row = sql.SQL(", ").join(sql.Identifier("t", c) for c in columns) if columns else sql.SQL("")
    return sql.SQL(
        "select count(*), coalesce(md5(string_agg(h, '' order by h)), md5(''))"
        " from (select md5(row({row})::text) as h from {schema}.{table} as t) as hashed"
    ).format(row=row, schema=sql.Identifier(schema), table=sql.Identifier(table))


def digest(
    conn: psycopg.Connection, schema: str, table: str, excluded: Iterable[str]
) -> TableDigest:
    """One side's digest of a table, without the run-specific (and added/dropped) columns."""
    skip = {c.lstrip("+-") for c in excluded}
    columns = [c for c in columns_of(conn, schema, table) if c not in skip]
    count, value = conn.execute(digest_query(schema, table, columns)).fetchone() or (0, "")
    return TableDigest(tuple(columns), int(count), str(value))


def compare(
    before_url: str, after_url: str, schema: str = "marts",
    run_specific: frozenset[tuple[str, str]] = RUN_SPECIFIC, common_columns: bool = False,
) -> list[Comparison]:
    """Every relation of ``schema`` on either side, compared.

    ``common_columns``: a change that adds (or drops) columns on purpose is compared on the
    columns both sides have; the others are named among those left out (``+col`` added,
    ``-col`` dropped), so the rest of the table is still proved unchanged.
    """
    with psycopg.connect(before_url) as before, psycopg.connect(after_url) as after:
        names = sorted(set(relations(before, schema)) | set(relations(after, schema)))
        have_before, have_after = set(relations(before, schema)), set(relations(after, schema))
        result = []
        for name in names:
            excluded = tuple(sorted(c for t, c in run_specific if t == name))
            if common_columns and name in have_before and name in have_after:
                cols_b = set(columns_of(before, schema, name))
                cols_a = set(columns_of(after, schema, name))
                excluded += tuple(sorted(f"+{c}" for c in cols_a - cols_b))
                excluded += tuple(sorted(f"-{c}" for c in cols_b - cols_a))
            result.append(Comparison(
                name,
                digest(before, schema, name, excluded) if name in have_before else None,
                digest(after, schema, name, excluded) if name in have_after else None,
                excluded,
            ))
        return result


def render(comparisons: Sequence[Comparison]) -> str:
    """A plain-text table: table, rows before/after, hash before/after, equal, left out."""
    header = ("table", "rows before", "rows after", "hash before", "hash after", "equal",
              "columns left out (run-specific, +added, -dropped)")
    lines = [header]
    for c in comparisons:
        lines.append((
            c.table,
            str(c.before.rows) if c.before else "-",
            str(c.after.rows) if c.after else "-",
            c.before.digest[:12] if c.before else "-",
            c.after.digest[:12] if c.after else "-",
            "yes" if c.equal else "NO",
            ", ".join(c.excluded),
        ))
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in lines
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Compare, print the table, and exit 1 on any difference."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before_url", help="warehouse built with the code before")
    parser.add_argument("after_url", help="warehouse built with the code after")
    parser.add_argument("--schema", default="marts", help="schema to compare (default marts)")
    parser.add_argument(
        "--common-columns", action="store_true",
        help="compare on the columns both sides have; name the added (+) and dropped (-) ones",
    )
    args = parser.parse_args(argv)
    comparisons = compare(args.before_url, args.after_url, args.schema,
                          common_columns=args.common_columns)
    print(render(comparisons))
    different = [c.table for c in comparisons if not c.equal]
    if not comparisons:
        print(f"no table in schema {args.schema}")
        return 1
    print(f"{len(comparisons) - len(different)} of {len(comparisons)} equal"
          + (f"; different: {', '.join(different)}" if different else ""))
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
