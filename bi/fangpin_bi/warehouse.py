"""The warehouse side of the BI tool: its logins, its metadata database, what it may read.

Two logins per warehouse database, both with generated passwords (never trust auth):

- ``<db>_bi``: a member of ``bi_reader`` and nothing else; read only by default. Superset
  queries the marts as this login, so what it shows is what a bureau's BI tool would see.
- ``<db>_superset``: owns ``<db>_superset``, Superset's own metadata database on the same
  server; it has no grant in the warehouse database at all.

Creating them needs a URL that may create roles and databases (the embedded cluster's, or an
administrator's ``WAREHOUSE_URL``); the pipeline's grants are not touched: a dataset needing more
than ``bi_reader`` has fails ``check_readable`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from fangpin.warehouse.connection import database_name, normalise_url, with_database
from fangpin.warehouse.roles import BI_READER
from fangpin_bi.spec import PUBLISHED_SCHEMA, Dataset

#: PostgreSQL truncates identifiers at 63 bytes; a login name must stay distinct.
MAX_NAME = 63


class DatasetRefused(RuntimeError):
    """A dataset the BI login may not read: the dashboards are wrong, not the grants."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str | None


@dataclass(frozen=True)
class TableInfo:
    description: str | None
    columns: tuple[Column, ...]


def bi_login(url: str) -> str:
    return _name(database_name(url), "_bi")


def metadata_database(url: str) -> str:
    return _name(database_name(url), "_superset")


def ensure_bi_login(admin_url: str, password: str) -> str:
    """Create or update the BI login (in ``bi_reader``, read only) and return its URL."""
    login = bi_login(admin_url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        _ensure_login(conn, login, password)
        ident = sql.Identifier(login)
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(BI_READER), ident))
        conn.execute(
            sql.SQL("grant connect on database {} to {}").format(
                sql.Identifier(database_name(admin_url)), ident
            )
        )
        conn.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(ident))
        conn.execute(
            sql.SQL("alter role {} set search_path = {}").format(
                ident, sql.Identifier(PUBLISHED_SCHEMA)
            )
        )
    return login_url(admin_url, login, password)


def ensure_metadata_database(admin_url: str, password: str, recreate: bool = False) -> str:
    """Create Superset's metadata database and its owner; return the owner's URL to it.

    ``recreate`` drops an existing one first (its contents were encrypted with a lost key).
    """
    name = metadata_database(admin_url)
    with psycopg.connect(with_database(admin_url, "postgres"), autocommit=True) as conn:
        _ensure_login(conn, name, password)
        if recreate:
            drop = sql.SQL("drop database if exists {} with (force)")
            conn.execute(drop.format(sql.Identifier(name)))
        found = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not found:
            conn.execute(
                sql.SQL("create database {} owner {}").format(
                    sql.Identifier(name), sql.Identifier(name)
                )
            )
    return login_url(with_database(admin_url, name), name, password)


def drop_bi(admin_url: str) -> None:
    """Drop the metadata database and both logins (tests clean up after themselves)."""
    meta, login = metadata_database(admin_url), bi_login(admin_url)
    with psycopg.connect(with_database(admin_url, "postgres"), autocommit=True) as conn:
        drop = sql.SQL("drop database if exists {} with (force)")
        conn.execute(drop.format(sql.Identifier(meta)))
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(meta)))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        # The login holds a grant in this database: drop what it owns and is granted first.
        exists = conn.execute("select 1 from pg_roles where rolname = %s", (login,)).fetchone()
        if exists:
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(login)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(login)))


def login_url(url: str, user: str, password: str) -> str:
    """``url`` with its user and password replaced (host, port, database and options kept)."""
    parts = urlsplit(normalise_url(url))
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def check_readable(login_url_: str, dataset: Dataset) -> None:
    """Raise ``DatasetRefused`` unless the BI login can read everything ``dataset`` uses.

    Runs the dataset's table, calculated columns and metrics as the login itself, with no rows:
    a permission error here is the same one Superset would show, found before any import.
    """
    if dataset.schema != PUBLISHED_SCHEMA:
        raise DatasetRefused(
            f"dataset {dataset.name}: {dataset.schema}.{dataset.table} is outside the published "
            f"schema {PUBLISHED_SCHEMA!r}; BI tools read the marts only"
        )
    table = sql.Identifier(dataset.schema, dataset.table)
    probes = [sql.SQL("select * from {} where false").format(table)]
    for column in dataset.calculated.values():
        probes.append(_probe(column["expression"], table))
    for metric in dataset.metrics.values():
        probes.append(_probe(metric.expression, table))
    with psycopg.connect(login_url_, autocommit=True) as conn:
        for probe in probes:
            try:
                conn.execute(probe)
            except psycopg.errors.InsufficientPrivilege as exc:
                raise DatasetRefused(
                    f"dataset {dataset.name}: the BI login ({BI_READER}) may not read "
                    f"{dataset.schema}.{dataset.table}: {exc}".strip()
                ) from exc
            except psycopg.errors.UndefinedTable as exc:
                raise DatasetRefused(
                    f"dataset {dataset.name}: {dataset.schema}.{dataset.table} does not exist: "
                    "nothing is published yet (run `make demo`, or `fangpin run`, first)"
                ) from exc
            except psycopg.Error as exc:
                raise DatasetRefused(f"dataset {dataset.name}: {exc}".strip()) from exc


def latest_value(login_url_: str, dataset: Dataset, column: str) -> str | None:
    """The largest value of a (calculated) column: the newest month a filter defaults to."""
    body = dataset.calculated.get(column)
    expression = sql.SQL(body["expression"]) if body else sql.Identifier(column)
    query = sql.SQL("select max({}) from {}").format(
        expression, sql.Identifier(dataset.schema, dataset.table)
    )
    with psycopg.connect(login_url_, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    return None if row is None or row[0] is None else str(row[0])


def table_info(url: str, schema: str, table: str) -> TableInfo:
    """Columns, types and comments from the catalog (dbt's ``persist_docs`` writes them)."""
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "select c.oid, obj_description(c.oid, 'pg_class') from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace where n.nspname = %s and c.relname = %s",
            (schema, table),
        ).fetchone()
        if found is None:
            raise DatasetRefused(f"{schema}.{table} does not exist in {database_name(url)}")
        rows = conn.execute(
            "select attname, format_type(atttypid, atttypmod), col_description(attrelid, attnum) "
            "from pg_attribute where attrelid = %s and attnum > 0 and not attisdropped "
            "order by attnum",
            (found[0],),
        ).fetchall()
    return TableInfo(found[1], tuple(Column(*row) for row in rows))


def _probe(expression: str, table: sql.Composable) -> sql.Composed:
    return sql.SQL("select {} from {} where false").format(sql.SQL(expression), table)


def _ensure_login(conn: psycopg.Connection, login: str, password: str) -> None:
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (login,)).fetchone()
    verb = "alter" if exists else "create"
    conn.execute(
        sql.SQL(verb + " role {} login password {}").format(
            sql.Identifier(login), sql.Literal(password)
        )
    )


def _name(database: str, suffix: str) -> str:
    return database[: MAX_NAME - len(suffix)] + suffix
