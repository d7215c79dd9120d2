"""The ``raw.<feed>`` tables, generated from the feed contracts.

The raw layer is the contract with dbt staging (docs/ARCHITECTURE.md): one table per feed,
the metadata columns, then the contract's columns typed by kind. Generating the DDL from
``fangpin.feeds.contracts`` keeps the table and the loader from drifting apart: a column added
to a declaration is created here (``add column if not exists`` for an existing warehouse) and
filled by the loader, with no SQL file to edit.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from fangpin.feeds.contracts import FEEDS, RAW_METADATA_COLUMNS, Feed

RAW_SCHEMA = "raw"


def raw_columns(contract: Feed) -> list[tuple[str, str]]:
    """(name, type) of ``raw.<feed>`` in table order; metadata types include ``not null``."""
    return [*RAW_METADATA_COLUMNS, *((c.name, c.raw_type) for c in contract.columns)]


def raw_table_ddl(contract: Feed) -> str:
    """``create table if not exists raw.<feed> (...)`` for one feed."""
    body = ",\n    ".join(f"{name} {type_}" for name, type_ in raw_columns(contract))
    return f"create table if not exists {RAW_SCHEMA}.{contract.name} (\n    {body}\n);"


def ensure_raw_tables(conn: psycopg.Connection) -> None:
    """Create every raw table, and add columns that a contract gained since it was created.

    Idempotent; runs in the caller's transaction (``ensure_warehouse``). Columns are never
    dropped or retyped here: that would lose loaded data, so it is a deliberate migration.
    """
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(RAW_SCHEMA)))
    existing: dict[str, set[str]] = {}
    for table, column in conn.execute(
        "select table_name, column_name from information_schema.columns where table_schema = %s",
        (RAW_SCHEMA,),
    ):
        existing.setdefault(table, set()).add(column)
    indexes = {
        r[0]
        for r in conn.execute(
            "select indexname from pg_indexes where schemaname = %s", (RAW_SCHEMA,)
        )
    }
    statistics = {
        r[0]
        for r in conn.execute(
            "select stxname from pg_statistic_ext where stxnamespace = %s::regnamespace",
            (RAW_SCHEMA,),
        )
    }
    for contract in FEEDS.values():
        if contract.name not in existing:
            conn.execute(raw_table_ddl(contract))
        if _month_statistics(contract) in statistics:
            # Statistics on extract(year/month from _snapshot_month) served the audit when it
            # filtered months that way; it now copies a month by range (fangpin.audit.batches)
            # and nothing reads them, while every ANALYZE would keep computing them.
            conn.execute(
                sql.SQL("drop statistics if exists {}.{}").format(
                    sql.Identifier(RAW_SCHEMA), sql.Identifier(_month_statistics(contract))
                )
            )
        if _month_index(contract) not in indexes:
            # The loader deletes a month's rows on every delivery: BRIN makes that a range scan
            # at almost no cost to COPY (rows arrive month by month, so ranges stay tight).
            conn.execute(
                sql.SQL("create index {} on {}.{} using brin (_snapshot_month)").format(
                    sql.Identifier(_month_index(contract)), sql.Identifier(RAW_SCHEMA),
                    sql.Identifier(contract.name),
                )
            )
        if contract.name not in existing:
            continue
        # Only touch a table that lacks a column: ALTER takes an exclusive lock even when
        # the column is already there, which would block readers on every setup.
        for name, type_ in raw_columns(contract)[len(RAW_METADATA_COLUMNS):]:
            if name not in existing[contract.name]:
                conn.execute(
                    sql.SQL("alter table {}.{} add column {} {}").format(
                        sql.Identifier(RAW_SCHEMA), sql.Identifier(contract.name),
                        sql.Identifier(name), sql.SQL(type_),
                    )
                )


def _month_statistics(contract: Feed) -> str:
    return f"{contract.name}_snapshot_month_parts"


def _month_index(contract: Feed) -> str:
    return f"{contract.name}_snapshot_month"
