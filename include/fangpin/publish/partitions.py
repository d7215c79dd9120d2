"""Publish the household-month facts a month at a time: one partition per month.

``marts.fct_household_month`` is the one mart that grows by a million rows a month. It is a
table partitioned by list on ``month``, its partitions kept in the schema ``marts_partitions``
(no reader has usage there: readers reach the rows through the parent, where the grants, the
comments and the BRIN-free month pruning live). The build's ``fct_household_month`` holds only
the months to publish (``macros/months/months_to_publish.sql``): the month being built and any
earlier month not published yet. The publish (``fangpin.publish.swap``) then, in its one
transaction:

* ``stage`` (before it locks anything readers use): files each built month as a table of its
  own in ``marts_partitions`` with a ``check (month = …)`` constraint, so that attaching it
  later needs no scan under the lock. The first publish (or the first on a warehouse whose
  ``fct_household_month`` is still a plain table) also creates the parent in the build;
* ``swap_in`` (under the swap's access-exclusive locks): detaches the published partition of
  each of those months, if any, and parks it in ``marts`` (which becomes ``marts_prev``) as
  ``fct_household_month__replaced_YYYYMM``; attaches the new ones; and moves the parent into
  the build, which is then renamed to ``marts``;
* a rollback (``swap_back``) does the same the other way round with the parked partitions.

So a month's publish writes nothing in the partitions of other months: a rebuilt old month
replaces its own partition and no other, and readers see the old state or the new one, as
the whole swap commits at once.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql

#: The marts published one partition per month.
TABLE = "fct_household_month"
PARTITIONS = "marts_partitions"
REPLACED = TABLE + "__replaced_"
_BOUND = re.compile(r"FOR VALUES IN \('(\d{4}-\d{2}-\d{2})'\)")


class PartitionError(RuntimeError):
    """The partitioned mart cannot be published as built; the message says what to do."""


@dataclass(frozen=True)
class Staged:
    """What ``stage`` filed: the months to attach, and whether the parent is new."""

    months: tuple[date, ...]
    tables: dict[date, str]  # month -> table in marts_partitions, not attached yet
    new_parent: bool  # the parent was created in the build (first publish, or a plain table)


def kind(conn: psycopg.Connection, schema: str, table: str = TABLE) -> str | None:
    """``'p'`` (partitioned), ``'r'`` (a plain table) or None when ``schema.table`` is absent."""
    name = sql.Identifier(schema, table).as_string(conn)
    row = conn.execute("select relkind from pg_class where oid = to_regclass(%s)",
                       (name,)).fetchone()
    return row[0] if row else None


def partitions(conn: psycopg.Connection, schema: str) -> dict[date, str]:
    """The partitions of ``schema.fct_household_month`` by month (from the catalog: no scan)."""
    rows = conn.execute(
        "select c.relname, pg_get_expr(c.relpartbound, c.oid) from pg_inherits i "
        "join pg_class c on c.oid = i.inhrelid "
        "join pg_class p on p.oid = i.inhparent "
        "join pg_namespace n on n.oid = p.relnamespace "
        "where n.nspname = %s and p.relname = %s",
        (schema, TABLE),
    ).fetchall()
    found: dict[date, str] = {}
    for name, bound in rows:
        match = _BOUND.fullmatch(bound or "")
        if not match:
            raise PartitionError(f"{PARTITIONS}.{name} has an unexpected bound {bound!r}")
        found[date.fromisoformat(match.group(1))] = name
    return found


def stage(conn: psycopg.Connection, build: str, published: str,
          built_months: list[date] | None) -> Staged | None:
    """File the build's months as partitions-to-be; create the parent when there is none yet.

    A new parent is made on the first publish, on a warehouse whose ``fct_household_month`` is
    still a plain table (its other months are copied once from it), and when the model's
    columns changed (an upgrade): then the build must hold every month
    (``FANGPIN_PUBLISH_ALL_MONTHS=1``), as old partitions cannot join a parent of other columns.
    The parent being replaced stays where it is and leaves with ``marts_prev``.

    Returns None when the build has no ``fct_household_month`` (nothing to partition).
    """
    if kind(conn, build, TABLE) != "r":
        return None
    months = _months_in(conn, (build, TABLE))
    if not months:
        raise PartitionError(f"{build}.{TABLE} holds no month: nothing to publish")
    existing = kind(conn, published, TABLE)
    new_parent = existing != "p"
    if existing == "p" and _columns(conn, published, TABLE) != _columns(conn, build, TABLE):
        missing = sorted(set(built_months or []) - set(months))
        if missing:
            raise PartitionError(_changed_columns(conn, (published, TABLE), (build, TABLE)))
        new_parent = True
    parent_name = TABLE + "__parent"
    shape = (build, TABLE)
    if new_parent:
        _create_parent(conn, shape, (build, parent_name))
    else:
        _copy_comments(conn, shape, (published, TABLE))
    tables: dict[date, str] = {}
    if len(months) == 1:
        tables[months[0]] = _file_slice(conn, build, months[0])
    else:
        for month in months:
            tables[month] = _copy_month(conn, shape, shape, month)
        conn.execute(sql.SQL("drop table {}").format(sql.Identifier(*shape)))
    if new_parent:
        parent = (build, parent_name)
        if existing == "r":
            # A warehouse published before the marts were partitioned: its other months are
            # copied once from the plain table, which stays in marts (and so in marts_prev).
            for month in _months_in(conn, (published, TABLE)):
                if month not in tables and month in set(built_months or []):
                    tables[month] = _copy_month(conn, (published, TABLE), parent, month)
        for month, table in sorted(tables.items()):
            _attach(conn, parent, table, month)
        conn.execute(sql.SQL("alter table {} rename to {}").format(
            sql.Identifier(*parent), sql.Identifier(TABLE)))
        tables = {}
    return Staged(tuple(months), tables, new_parent)


def swap_in(conn: psycopg.Connection, staged: Staged, build: str, published: str) -> None:
    """Under the swap's locks: replace the staged months' partitions and move the parent.

    The replaced partitions go to ``published`` (about to become ``marts_prev``), so that a
    rollback can put them back.
    """
    if staged.new_parent:
        return  # the parent, with every partition, is in the build already
    parent = (published, TABLE)
    current = partitions(conn, published)
    for month, table in staged.tables.items():
        if month in current:
            _detach(conn, parent, current[month], park_in=published, month=month)
        _attach(conn, parent, table, month)
    conn.execute(sql.SQL("alter table {} set schema {}").format(
        sql.Identifier(*parent), sql.Identifier(build)))


def swap_back(conn: psycopg.Connection, months: list[date], leaving: str, restored: str) -> None:
    """Roll the ``months`` of the parent in ``leaving`` back to the partitions parked in
    ``restored``, park the leaving ones in ``leaving``, and move the parent to ``restored``.

    Symmetric: calling it again with the schemas' roles swapped rolls forward. A ``restored``
    schema that holds a plain ``fct_household_month`` (published before partitioning) keeps it,
    and the parent stays behind.
    """
    if kind(conn, leaving, TABLE) != "p" or kind(conn, restored, TABLE) is not None:
        return
    parent = (leaving, TABLE)
    current = partitions(conn, leaving)
    for month in months:
        parked = REPLACED + f"{month:%Y%m}"
        if month in current:
            _detach(conn, parent, current[month], park_in=leaving, month=month, suffix="__out")
        if kind(conn, restored, parked) == "r":
            name = _fresh_name(month)
            conn.execute(sql.SQL("alter table {} set schema {}").format(
                sql.Identifier(restored, parked), sql.Identifier(PARTITIONS)))
            conn.execute(sql.SQL("alter table {} rename to {}").format(
                sql.Identifier(PARTITIONS, parked), sql.Identifier(name)))
            _attach(conn, parent, name, month)
    for month in months:  # the parked names are free in `leaving` only now
        out = REPLACED + f"{month:%Y%m}__out"
        if kind(conn, leaving, out) == "r":
            conn.execute(sql.SQL("alter table {} rename to {}").format(
                sql.Identifier(leaving, out), sql.Identifier(REPLACED + f"{month:%Y%m}")))
    conn.execute(sql.SQL("alter table {} set schema {}").format(
        sql.Identifier(*parent), sql.Identifier(restored)))


def months_published(conn: psycopg.Connection, schema: str) -> list[date] | None:
    """The months of ``schema.fct_household_month``: from the catalog when partitioned."""
    found = kind(conn, schema, TABLE)
    if found == "p":
        return sorted(partitions(conn, schema))
    if found is None:
        return None
    return _months_in(conn, (schema, TABLE))


# --- steps ---------------------------------------------------------------------------------


def _fresh_name(month: date) -> str:
    """A partition name no other table has: parked and new partitions of a month coexist."""
    return f"{TABLE}_{month:%Y%m}_{secrets.token_hex(3)}"


def _file_slice(conn: psycopg.Connection, build: str, month: date) -> str:
    """Move the one-month build table into marts_partitions as that month's partition-to-be."""
    name = _fresh_name(month)
    indexes = conn.execute(
        "select i.relname from pg_index x join pg_class i on i.oid = x.indexrelid "
        "where x.indrelid = %s::regclass order by 1",
        (f'"{build}"."{TABLE}"',),
    ).fetchall()
    for number, (index,) in enumerate(indexes):  # index names are per schema: make them unique
        conn.execute(sql.SQL("alter index {} rename to {}").format(
            sql.Identifier(build, index), sql.Identifier(f"{name}_idx{number}")))
    conn.execute(sql.SQL("alter table {} set schema {}").format(
        sql.Identifier(build, TABLE), sql.Identifier(PARTITIONS)))
    conn.execute(sql.SQL("alter table {} rename to {}").format(
        sql.Identifier(PARTITIONS, TABLE), sql.Identifier(name)))
    _constrain(conn, name, month)
    return name


def _copy_month(conn: psycopg.Connection, source: tuple[str, str], shape: tuple[str, str],
                month: date) -> str:
    """One month of ``source`` copied into a new table of marts_partitions shaped as ``shape``."""
    name = _fresh_name(month)
    target = sql.Identifier(PARTITIONS, name)
    conn.execute(sql.SQL("create table {} (like {} including defaults)").format(
        target, sql.Identifier(*shape)))
    columns = sql.SQL(", ").join(sql.Identifier(c) for c, _ in _columns(conn, *shape))
    try:
        with conn.transaction():
            conn.execute(sql.SQL("insert into {} ({}) select {} from {} where month = {}").format(
                target, columns, columns, sql.Identifier(*source), sql.Literal(month)))
    except psycopg.errors.UndefinedColumn as exc:
        raise PartitionError(_changed_columns(conn, source, shape)) from exc
    conn.execute(sql.SQL("analyze {}").format(target))
    _constrain(conn, name, month)
    return name


def _constrain(conn: psycopg.Connection, name: str, month: date) -> None:
    """The partition's bound as a validated check, so that attaching it scans nothing."""
    conn.execute(
        sql.SQL("alter table {} add constraint {} check (month is not null and month = {})")
        .format(sql.Identifier(PARTITIONS, name), sql.Identifier(f"{name}_month"),
                sql.Literal(month))
    )


def _attach(conn: psycopg.Connection, parent: tuple[str, str], table: str, month: date) -> None:
    conn.execute(sql.SQL("alter table {} attach partition {} for values in ({})").format(
        sql.Identifier(*parent), sql.Identifier(PARTITIONS, table), sql.Literal(month)))


def _detach(conn: psycopg.Connection, parent: tuple[str, str], table: str, *, park_in: str,
            month: date, suffix: str = "") -> None:
    """Detach a month's partition and park it, renamed, in ``park_in`` (kept for a rollback)."""
    conn.execute(sql.SQL("alter table {} detach partition {}").format(
        sql.Identifier(*parent), sql.Identifier(PARTITIONS, table)))
    conn.execute(sql.SQL("alter table {} set schema {}").format(
        sql.Identifier(PARTITIONS, table), sql.Identifier(park_in)))
    conn.execute(sql.SQL("alter table {} rename to {}").format(
        sql.Identifier(park_in, table), sql.Identifier(REPLACED + f"{month:%Y%m}{suffix}")))


def _create_parent(conn: psycopg.Connection, like: tuple[str, str],
                   parent: tuple[str, str]) -> None:
    """An empty partitioned table with the build's columns, defaults and comments."""
    conn.execute(sql.SQL(
        "create table {} (like {} including defaults including comments) "
        "partition by list (month)"
    ).format(sql.Identifier(*parent), sql.Identifier(*like)))
    _copy_comments(conn, like, parent, columns=False)


def _copy_comments(conn: psycopg.Connection, source: tuple[str, str], target: tuple[str, str],
                   *, columns: bool = True) -> None:
    """dbt's persist_docs writes the comments on the build table: carry them to the parent."""
    rows = conn.execute(
        "select a.attname, col_description(c.oid, a.attnum), obj_description(c.oid, 'pg_class') "
        "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped "
        "where n.nspname = %s and c.relname = %s order by a.attnum",
        source,
    ).fetchall()
    if not rows:
        return
    table = sql.Identifier(*target)
    conn.execute(sql.SQL("comment on table {} is {}").format(table, sql.Literal(rows[0][2])))
    if columns:
        for column, text, _table_text in rows:
            conn.execute(sql.SQL("comment on column {}.{} is {}").format(
                table, sql.Identifier(column), sql.Literal(text)))


def _columns(conn: psycopg.Connection, schema: str, table: str) -> list[tuple[str, str]]:
    return [
        (r[0], r[1]) for r in conn.execute(
            "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
            "join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped "
            "order by a.attnum",
            (schema, table),
        )
    ]


def _changed_columns(conn: psycopg.Connection, published: tuple[str, str],
                     built: tuple[str, str]) -> str:
    """Why the build's months cannot join the published table, and what to do."""
    old, new = dict(_columns(conn, *published)), dict(_columns(conn, *built))
    gone = [c for c in old if c not in new]
    added = [c for c in new if c not in old]
    return (
        f"the build's {TABLE} has other columns than the published one (added: "
        f"{', '.join(added) or '-'}; removed: {', '.join(gone) or '-'}; or types or order "
        "changed), so its month cannot be attached as a partition: rebuild the latest month "
        "with every month in the build (FANGPIN_PUBLISH_ALL_MONTHS=1 fangpin run --months "
        "<latest>), whose publish replaces the whole table (docs/ARCHITECTURE.md, "
        "\"Published one month at a time\")"
    )


def _months_in(conn: psycopg.Connection, table: tuple[str, str]) -> list[date]:
    return [r[0] for r in conn.execute(
        sql.SQL("select distinct month from {} order by 1").format(sql.Identifier(*table)))]
