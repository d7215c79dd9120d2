"""Who may read and write what: the warehouse's group roles and their grants.

Roles are cluster-wide while grants are per database, and several databases of one cluster are
set up at once (every test makes its own). So roles are created "if missing" and a concurrent
creator winning the race is not an error, while the grants are re-applied in every database.

The roles are NOLOGIN groups: a deployment grants them to its login users (``grant bi_reader to
superset``), so nothing here holds a password.

- ``fangpin_loader``: writes ``raw`` and ``ops``; with the transformer, the only reader of raw
  id numbers.
- ``fangpin_transformer``: reads ``raw`` and ``seeds``, writes ``seeds``, ``staging``,
  ``intermediate`` and creates the build schema (dbt).
- ``evaluator``, ``bi_reader``: USAGE + SELECT on ``marts`` only; nothing on raw, staging,
  intermediate or ops.

``marts`` is replaced by a schema swap at every publish, and grants belong to the schema and
table objects, not to their names; so the read grants are applied to the *build* before the
swap (``grant_marts``), never to ``marts`` after it. Field teams (``field_team_<city_code>``,
one NOLOGIN role per evaluating city, reading only their city's rows of
``mart_field_sample_contact`` under row-level security) are added by
``fangpin.warehouse.field_roles``: ``grant_marts`` calls its ``grant_field_teams(conn, schema)``
on every build, ``revoke_marts`` its ``revoke_field_teams``; ``ensure_field_team_roles`` creates
the roles.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg import sql

LOADER = "fangpin_loader"
TRANSFORMER = "fangpin_transformer"
EVALUATOR = "evaluator"
BI_READER = "bi_reader"

#: Every group role this module manages, in creation order.
ROLES: tuple[str, ...] = (LOADER, TRANSFORMER, EVALUATOR, BI_READER)
#: The roles that read the published marts and nothing else.
MART_READERS: tuple[str, ...] = (EVALUATOR, BI_READER)


def ensure_roles(conn: psycopg.Connection) -> None:
    """Create the group roles if missing and apply this database's grants; idempotent.

    Runs inside the caller's transaction (``ensure_warehouse``); each ``create role`` gets a
    savepoint so that losing a creation race to another database's setup does not abort it.
    """
    for role in ROLES:
        _create_role(conn, role)
    _grant_pipeline(conn)
    grant_marts(conn, "marts")


def grant_marts(conn: psycopg.Connection, schema: str) -> None:
    """Let the mart readers use ``schema`` and select from every table and view in it.

    Called by the publish on the build schema before it is swapped in, so that the grants
    travel with the objects; evaluators and BI tools never see a published mart they cannot
    read.
    """
    readers = _idents(MART_READERS)
    schema_id = sql.Identifier(schema)
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(schema_id, readers))
    conn.execute(
        sql.SQL("grant select on all tables in schema {} to {}").format(schema_id, readers)
    )
    _field_team_hook(conn, schema)


def revoke_marts(conn: psycopg.Connection, schema: str) -> None:
    """Take the mart readers' way into ``schema`` (the previous marts) away again.

    Grants travel with a schema, so ``marts_prev`` would stay readable after a swap; readers
    are meant to see ``marts`` only. Table grants stay, so a rollback needs only the usage back.
    """
    conn.execute(
        sql.SQL("revoke usage on schema {} from {}").format(
            sql.Identifier(schema), _idents(MART_READERS)
        )
    )
    _field_team_revoke_hook(conn, schema)


def ensure_field_team_roles(conn: psycopg.Connection) -> list[str]:
    """Create the field-team roles (``field_team_<city_code>``, one per city) if missing.

    ``grant_marts`` does this too on every build; calling it directly lets a deployment grant
    the roles to its login users before the first publish.
    """
    from fangpin.warehouse.field_roles import ensure_field_team_roles as ensure

    return ensure(conn)


def _create_role(conn: psycopg.Connection, role: str) -> None:
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
    if exists:
        return
    try:
        with conn.transaction():  # a savepoint: a lost race must not abort the setup
            conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
    except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
        pass  # another database's setup created it between our check and our create


def _grant_pipeline(conn: psycopg.Connection) -> None:
    """The loader's and the transformer's grants, on what exists now and what is made later."""
    database = sql.Identifier(conn.info.dbname)
    loader, transformer = sql.Identifier(LOADER), sql.Identifier(TRANSFORMER)
    statements = [
        # The loader: COPY into raw, write the ops tables (their ids come from sequences).
        "grant usage, create on schema raw, ops to {loader}",
        "grant select, insert, update, delete on all tables in schema raw, ops to {loader}",
        "grant usage, select on all sequences in schema ops to {loader}",
        # The transformer (dbt): read raw and seeds, build staging, intermediate and the
        # build schema, which it creates (hence create on the database).
        "grant create on database {database} to {transformer}",
        "grant usage on schema raw to {transformer}",
        "grant select on all tables in schema raw to {transformer}",
        "grant usage, create on schema seeds, staging, intermediate to {transformer}",
        # ... and the load history behind mart_feed_reporting.
        "grant usage on schema ops to {transformer}",
        "grant select on all tables in schema ops to {transformer}",
        # The bureau's imported policy tables (fangpin.policy), read in preference to seeds.
        "grant usage on schema policy to {transformer}",
        "grant select on all tables in schema policy to {transformer}",
        "alter default privileges in schema policy grant select on tables to {transformer}",
    ]
    for statement in statements:
        conn.execute(
            sql.SQL(statement).format(loader=loader, transformer=transformer, database=database)
        )
    # Tables the setup (this role) creates later in raw and ops: granted as they appear.
    conn.execute(
        sql.SQL(
            "alter default privileges in schema raw, ops "
            "grant select, insert, update, delete on tables to {}"
        ).format(loader)
    )
    conn.execute(
        sql.SQL("alter default privileges in schema ops grant usage, select on sequences to {}")
        .format(loader)
    )
    conn.execute(
        sql.SQL("alter default privileges in schema raw grant select on tables to {}").format(
            transformer
        )
    )


def _field_team_hook(conn: psycopg.Connection, schema: str) -> None:
    """Field-team roles and row-level security (``fangpin.warehouse.field_roles``) if present."""
    try:
        from fangpin.warehouse.field_roles import grant_field_teams
    except ImportError:
        return
    grant_field_teams(conn, schema)


def _field_team_revoke_hook(conn: psycopg.Connection, schema: str) -> None:
    """The field teams leave the previous marts with the readers."""
    try:
        from fangpin.warehouse.field_roles import revoke_field_teams
    except ImportError:
        return
    revoke_field_teams(conn, schema)


def _idents(names: Iterable[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)
