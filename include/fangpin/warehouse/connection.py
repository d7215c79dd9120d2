"""One way to reach the warehouse: ``WAREHOUSE_URL`` when set, else the embedded cluster."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import psycopg

from fangpin.config import batch_work_mem, configured_warehouse_url, is_deployed


class WarehouseNotConfigured(RuntimeError):
    """A deployed process has no ``WAREHOUSE_URL``: it must not invent a warehouse of its own."""


def warehouse_url() -> str:
    """The warehouse to use, starting the embedded cluster when none is configured.

    Never in a deployed process (``FANGPIN_DEPLOYED=1``, set for every Airflow component):
    an embedded cluster there would be a private warehouse that loads and publishes where
    nobody looks, so a worker without ``WAREHOUSE_URL`` fails at once instead.
    """
    url = configured_warehouse_url()
    if url:
        return normalise_url(url)
    if is_deployed():
        raise WarehouseNotConfigured(
            "WAREHOUSE_URL is not set in this deployed process (FANGPIN_DEPLOYED=1): set it to "
            "the warehouse every worker shares; an embedded warehouse is never started here"
        )
    from fangpin.warehouse import embedded

    return embedded.default().start()


def normalise_url(url: str) -> str:
    """Accept SQLAlchemy-style ``postgresql+psycopg://`` too; psycopg wants plain ``postgresql://``."""
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme.startswith("postgres") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def with_database(url: str, database: str) -> str:
    """The same server, another database (Airflow's metadata, a test database)."""
    parts = urlsplit(normalise_url(url))
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(database), parts.query, ""))


def database_name(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/")) or "postgres"


def dbt_env(url: str) -> dict[str, str]:
    """The connection as the environment variables ``dbt_project/profiles.yml`` reads.

    Carries the warehouse's pseudonym key (checked against its fingerprint) in ``PGOPTIONS``:
    only the dbt child process's environment ever holds it.
    """
    from fangpin.warehouse.pseudonym_key import pseudonym_key

    parts = urlsplit(normalise_url(url))
    return {
        "FANGPIN_PG_HOST": parts.hostname or "127.0.0.1",
        "FANGPIN_PG_PORT": str(parts.port or 5432),
        "FANGPIN_PG_USER": unquote(parts.username or "postgres"),
        "FANGPIN_PG_PASSWORD": unquote(parts.password or ""),
        "FANGPIN_PG_DATABASE": database_name(url),
        "PGOPTIONS": with_pseudonym_key(os.environ.get("PGOPTIONS", ""), pseudonym_key(url)),
    }


def with_pseudonym_key(options: str, key: str) -> str:
    """libpq options carrying ``key`` as the session setting dbt's SQL reads, and the batch
    sessions' ``work_mem`` (``batch_options``).

    Passing the key this way keeps it out of every compiled SQL file dbt writes to disk.
    """
    escaped = key.replace("\\", "\\\\").replace(" ", "\\ ")
    return f"{options} {batch_options()} -c fangpin.pseudonym_key={escaped}".strip()


def redacted(url: str) -> str:
    """``url`` with its password replaced by ``***``: for messages and logs."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def batch_options() -> str:
    """libpq ``options`` for the pipeline's batch sessions: ``-c work_mem=…`` or nothing."""
    work_mem = batch_work_mem()
    return f"-c work_mem={work_mem}" if work_mem else ""


def sqlalchemy_url(url: str) -> str:
    """The URL in the dialect form SQLAlchemy (Airflow, Great Expectations) expects."""
    parts = urlsplit(normalise_url(url))
    return urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, parts.query, ""))


@contextmanager
def connect(url: str | None = None, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    """A psycopg connection that commits on success and rolls back on error."""
    with psycopg.connect(url or warehouse_url(), autocommit=autocommit) as conn:
        yield conn


R = TypeVar("R")


def one_row(cursor: psycopg.Cursor[R]) -> R:
    """The row of a query that always returns one (``count(*)``, ``to_regclass``, ``insert ...
    returning``): psycopg types ``fetchone()`` as maybe ``None``, this says it is not."""
    row = cursor.fetchone()
    if row is None:
        raise TypeError("the query returned no row")  # what indexing None raised before
    return row


def ensure_database(url: str) -> None:
    """Create the database named in ``url`` on its server if it does not exist yet."""
    name = database_name(url)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        found = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not found:
            conn.execute(f'create database "{name}"')


def drop_database(url: str) -> None:
    name = database_name(url)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
