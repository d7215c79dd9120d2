"""The month's batches, in ``audit_batch``: every check reads only the month.

A month-grained suite validates one month of a table that holds every month: a raw table
with every delivery, a staging view that ranks every snapshot of a feed, a mart with every
built month. Great Expectations runs one or more queries per check and filters the month
inside each of them (``extract(year …) = … and extract(month …) = …``), which no index
serves: every check of a staging suite re-ranked the whole feed, every check of a raw suite
scanned every delivery. At a million households that was three quarters of the month's run,
and it grew with the history.

So the audit gives each month-grained batch a relation of its own in the ``audit_batch``
schema, selected with a range predicate that the raw tables' BRIN index, the marts' month
partitions and the staging views' window partitions let PostgreSQL push down, and GX
validates that relation whole. The checks see exactly the rows they saw before (the same
columns, the same month). How the month is held depends on what it is read from:

- a table (raw, the build's marts): a *view* of the month. Selecting the month is an index or
  partition scan, cheaper than writing and analysing a copy that the checks then read anyway.
- a view (staging: a window over every snapshot of a feed): an unlogged *copy*, made once,
  so that no check re-ranks the feed. It is analysed at a low statistics target
  (``_STATISTICS_TARGET``): the checks' queries are whole-batch scans and anti-joins against
  small seeds, whose plans need the row count and a rough ndistinct, not 100-bucket histograms.

The schema holds id numbers and names from raw and staging (copied, or readable through its
views): it is created at the start of an audit, granted to nobody, and dropped when the audit
ends, whatever its outcome. An audit killed half way cannot drop it, so every run also drops
it when it starts (``fangpin.pipeline.housekeeping``), before dbt rebuilds the tables its
views depend on (and dbt drops a replaced relation with CASCADE).
Audits of one warehouse never overlap (the DAG runs one month at a time); an advisory lock
makes that explicit for anything else that audits.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from types import TracebackType

import psycopg
from psycopg import sql

from fangpin.audit.checks import SuiteSpec
from fangpin.warehouse.connection import batch_options, one_row

SCHEMA = "audit_batch"
_LOCK = "fangpin.audit"


def table_name(spec: SuiteSpec) -> str:
    """The copy's table: the suite's name with its layer, e.g. ``staging__medical``."""
    return spec.name.replace(".", "__")


@contextmanager
def batch_schema(conn: psycopg.Connection) -> Iterator[None]:
    """An empty ``audit_batch`` schema for the duration of one audit, dropped after it.

    ``conn`` must be in autocommit mode: the lock is held by its session, and each copy is
    its own statement, so a copy that fails leaves the others usable.
    """
    conn.execute("select pg_advisory_lock(hashtext(%s))", (_LOCK,))
    try:
        _drop(conn)  # left behind by an audit whose process was killed
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(SCHEMA)))
        yield
    finally:
        try:
            _drop(conn)
        finally:
            conn.execute("select pg_advisory_unlock(hashtext(%s))", (_LOCK,))


def _drop(conn: psycopg.Connection) -> None:
    conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(SCHEMA)))


#: ``default_statistics_target`` for the ANALYZE of a copy (PostgreSQL's default is 100).
_STATISTICS_TARGET = 10


def copy_month(
    conn: psycopg.Connection, spec: SuiteSpec, schema: str, table: str, month: date,
    *, copy: bool = True,
) -> int:
    """``month``'s rows of ``schema.table`` for ``spec`` in ``audit_batch``; how many there are.

    The month is a half-open range on the suite's month column, the form an index, a
    partition bound or a pushed-down filter can use. ``copy``: an unlogged table, analysed so
    the checks' own queries have statistics, and its count is the one CREATE TABLE AS reports
    (``SELECT n``), not a second scan. Otherwise a view of the month, and a count of it.
    """
    if not spec.month_column:
        raise ValueError(f"{spec.name} validates the whole table: it has no month to copy")
    target = sql.Identifier(SCHEMA, table_name(spec))
    column = sql.Identifier(spec.month_column)
    start = sql.Literal(month.replace(day=1))
    select = sql.SQL(
        "select * from {source} "
        "where {column} >= {start}::date and {column} < {start}::date + interval '1 month'"
    ).format(source=sql.Identifier(schema, table), column=column, start=start)
    if not copy:
        conn.execute(sql.SQL("create view {} as {}").format(target, select))
        return int(one_row(conn.execute(sql.SQL("select count(*) from {}").format(target)))[0])
    copied = conn.execute(
        sql.SQL("create unlogged table {} as {}").format(target, select)
    ).rowcount
    conn.execute(
        sql.SQL("set default_statistics_target = {}").format(sql.Literal(_STATISTICS_TARGET))
    )
    try:
        conn.execute(sql.SQL("analyze {}").format(target))
    finally:
        conn.execute("reset default_statistics_target")
    return copied


class MonthCopies:
    """The copies of one audit, made ahead on a connection and a thread of their own.

    Copying is PostgreSQL's work (a scan, a window, a write) and GX's checks are PostgreSQL's
    work on another connection: with a copy made while the previous suite is checked, both
    of the machine's cores are busy. Copies are made in the order they were asked for.
    """

    def __init__(self, url: str, month: date) -> None:
        self._url = url
        self._month = month.replace(day=1)
        self._futures: dict[str, Future[int]] = {}

    def __enter__(self) -> MonthCopies:
        self._conn = psycopg.connect(self._url, autocommit=True, options=batch_options())
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="audit-copy")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._conn.close()

    def ask(self, spec: SuiteSpec, schema: str, table: str, *, copy: bool = True) -> None:
        """Start ``spec``'s month of ``schema.table`` (after those asked before): a copy, or
        with ``copy`` False a view (``copy_month``)."""
        self._futures[spec.name] = self._pool.submit(
            copy_month, self._conn, spec, schema, table, self._month, copy=copy
        )

    def rows(self, spec: SuiteSpec) -> int:
        """Wait for ``spec``'s copy; its row count, or the error that stopped it."""
        return self._futures.pop(spec.name).result()


def drop_copy(conn: psycopg.Connection, spec: SuiteSpec, *, copy: bool = True) -> None:
    """A suite's copy (``copy`` False: its view) is dropped once checked: the schema never
    holds every month's slice."""
    kind = sql.SQL("table" if copy else "view")
    conn.execute(
        sql.SQL("drop {} if exists {}").format(kind, sql.Identifier(SCHEMA, table_name(spec)))
    )
