"""Field teams: one role per evaluating city, reading only their own city's contact list.

The cross-city evaluation sends each evaluating city's field team to the households sampled
in the key counties it evaluates (``marts.mart_field_sample``). To find a household a team
needs the head's name, which is personal data: so the plain name lives in a table of its own,
``mart_field_sample_contact``, in the same swapped schema as the sample (published atomically
with it), and

- ``evaluator`` and ``bi_reader`` get nothing on it (``grant_marts`` grants them every table of
  the schema; the contact table's grant is taken back here, right after);
- each field team is a NOLOGIN group role ``field_team_<city_code>`` (``field_team_1401``) with
  USAGE on the schema and SELECT on the contact table only;
- row-level security on the table shows a row only to members of the row's evaluating city's
  role: ``pg_has_role(current_user, 'field_team_' || evaluating_city_code, 'MEMBER')``. A login
  user granted ``field_team_1401`` sees Taiyuan's rows; one granted two teams sees both.

The table owner (the pipeline's dbt user) and superusers bypass row-level security as usual;
``FORCE ROW LEVEL SECURITY`` is not set because the audit reads the build as the pipeline.

Grants and policies belong to the table object and travel with it through the schema swap, so
``grant_field_teams`` runs on the *build* schema before every publish (``roles.grant_marts``
calls it), and again on ``marts`` whenever the warehouse is set up or a rollback happens. Roles
are cluster-wide: they are created if missing, from the province's cities (the seed
``shanxi_counties``) and the cities the contact table names, so a deployment can grant them to
its login users before the first publish (``grant field_team_1401 to alice``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

import psycopg
from psycopg import sql

from fangpin.config import dbt_project_dir
from fangpin.warehouse.roles import MART_READERS

#: Prefix of the field-team roles; the suffix is the 4-digit evaluating city code.
FIELD_TEAM_PREFIX = "field_team_"
#: The table with the plain head names, readable by the field teams only.
CONTACT_TABLE = "mart_field_sample_contact"
#: The row-level security policy on the contact table.
POLICY = "field_team_reads_own_city"


def field_team_role(city_code: str) -> str:
    """``field_team_<city_code>``: the role of the city's field team."""
    code = str(city_code).strip()
    if not code.isdigit():
        raise ValueError(f"a city code is digits, got {city_code!r}")
    return FIELD_TEAM_PREFIX + code


def province_city_codes(conn: psycopg.Connection) -> list[str]:
    """The province's prefecture-level cities: the loaded seed, else the seed file itself.

    At the first ``ensure_warehouse`` dbt has not loaded the seeds yet, but the roles should
    exist already so that logins can be granted them; the seed CSV is the same list.
    """
    exists = conn.execute("select to_regclass('seeds.shanxi_counties') is not null").fetchone()
    if exists and exists[0]:
        rows = conn.execute(
            "select distinct cast(city_code as text) from seeds.shanxi_counties order by 1"
        ).fetchall()
        return [r[0] for r in rows if r[0]]
    path = dbt_project_dir() / "seeds" / "shanxi_counties.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return sorted({row["city_code"].strip() for row in csv.DictReader(fh) if row["city_code"]})


def ensure_field_team_roles(
    conn: psycopg.Connection, city_codes: Iterable[str] | None = None
) -> list[str]:
    """Create the NOLOGIN role ``field_team_<city>`` of every city if missing; return them all.

    ``city_codes`` defaults to the province's cities. Each creation gets a savepoint: another
    database's setup creating the same cluster-wide role at the same moment is not an error.
    """
    codes = sorted(set(city_codes if city_codes is not None else province_city_codes(conn)))
    roles = [field_team_role(code) for code in codes]
    for role in roles:
        if conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
            continue
        try:
            with conn.transaction():
                conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
        except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            pass  # created by a concurrent setup between our check and our create
    return roles


def grant_field_teams(conn: psycopg.Connection, schema: str) -> list[str]:
    """Field-team roles, grants and row-level security on ``schema``'s contact table.

    Idempotent (the policy is replaced), safe on a schema without the table (only the roles are
    ensured then). Returns the field-team roles granted. Called by ``roles.grant_marts`` after
    it granted the mart readers every table of the schema, which this takes back for the
    contact table.
    """
    cities = province_city_codes(conn)
    table_exists = _table_exists(conn, schema, CONTACT_TABLE)
    if table_exists:
        rows = conn.execute(
            sql.SQL(
                "select distinct evaluating_city_code from {} "
                "where evaluating_city_code is not null"
            ).format(sql.Identifier(schema, CONTACT_TABLE))
        ).fetchall()
        cities = sorted(set(cities) | {r[0] for r in rows})
    roles = ensure_field_team_roles(conn, cities)
    if not table_exists:
        return []
    table = sql.Identifier(schema, CONTACT_TABLE)
    schema_id = sql.Identifier(schema)
    not_for = [r for r in MART_READERS if _role_exists(conn, r)]
    conn.execute(sql.SQL("revoke all on {} from public").format(table))
    if not_for:
        conn.execute(sql.SQL("revoke all on {} from {}").format(table, _idents(not_for)))
    conn.execute(sql.SQL("alter table {} enable row level security").format(table))
    conn.execute(sql.SQL("drop policy if exists {} on {}").format(sql.Identifier(POLICY), table))
    conn.execute(
        sql.SQL(
            "create policy {} on {} as permissive for select using ("
            "exists (select 1 from pg_catalog.pg_roles as team "
            "where team.rolname = {} || evaluating_city_code "
            "and pg_catalog.pg_has_role(current_user, team.oid, 'MEMBER')))"
        ).format(sql.Identifier(POLICY), table, sql.Literal(FIELD_TEAM_PREFIX))
    )
    if roles:
        conn.execute(sql.SQL("grant usage on schema {} to {}").format(schema_id, _idents(roles)))
        conn.execute(sql.SQL("grant select on {} to {}").format(table, _idents(roles)))
    conn.execute(
        sql.SQL("comment on policy {} on {} is {}").format(
            sql.Identifier(POLICY),
            table,
            sql.Literal(
                "Field teams (实地核查组) read only the rows of their own evaluating city: "
                "members of field_team_<evaluating_city_code>."
            ),
        )
    )
    return roles


def revoke_field_teams(conn: psycopg.Connection, schema: str) -> None:
    """Take the field teams' way into ``schema`` away (the previous marts after a swap).

    Mirrors ``roles.revoke_marts``: table grants and the policy stay, so a rollback that calls
    ``grant_marts`` again only needs the usage back.
    """
    if not conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone():
        return
    roles = [
        r[0]
        for r in conn.execute(
            "select rolname from pg_roles where rolname like %s order by 1",
            (FIELD_TEAM_PREFIX.replace("_", r"\_") + "%",),
        ).fetchall()
    ]
    if roles:
        conn.execute(
            sql.SQL("revoke usage on schema {} from {}").format(
                sql.Identifier(schema), _idents(roles)
            )
        )


def _table_exists(conn: psycopg.Connection, schema: str, table: str) -> bool:
    row = conn.execute(
        "select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p')",
        (schema, table),
    ).fetchone()
    return row is not None


def _role_exists(conn: psycopg.Connection, role: str) -> bool:
    return conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone() is not None


def _idents(names: Iterable[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)
