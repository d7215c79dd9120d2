"""Bring a database up to what Fangpin needs: schemas, ops tables, raw tables, roles.

Idempotent by design: ``fangpin run`` calls it on every run, so an empty database sets itself
up and an existing one is left as it is (apart from additions).
"""

from __future__ import annotations

from importlib import resources

from fangpin.load.raw_tables import ensure_raw_tables
from fangpin.warehouse.connection import connect, ensure_database

_SQL_PACKAGE = "fangpin.warehouse.sql"
# Role creation touches the whole cluster: serialise it across concurrent setups.
_SETUP_LOCK = 74_210_001


def sql_files() -> list[str]:
    files = [f for f in resources.files(_SQL_PACKAGE).iterdir() if f.name.endswith(".sql")]
    return [f.read_text(encoding="utf-8") for f in sorted(files, key=lambda f: f.name)]


def ensure_warehouse(url: str) -> None:
    """Create the database if needed, then apply every DDL file and the raw tables.

    The raw tables are generated from the feed contracts (``fangpin.load.raw_tables``), not
    kept in a SQL file, so the loader and the tables cannot drift apart.
    """
    ensure_database(url)
    with connect(url) as conn:
        conn.execute("select pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
        for sql in sql_files():
            conn.execute(sql)
        ensure_raw_tables(conn)
        _ensure_roles(conn)


def _ensure_roles(conn) -> None:  # noqa: ANN001
    try:
        from fangpin.warehouse.roles import ensure_roles
    except ImportError:
        return
    ensure_roles(conn)
