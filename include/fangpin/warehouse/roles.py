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
swap (``grant_marts``), never to ``marts`` after it.

Field teams: the cross-city evaluation sends each evaluating city's field team to the households
sampled in the key counties it evaluates (``marts.mart_field_sample``). To find a household a
team needs the head's name, which is personal data: so the plain name lives in a table of its
own, ``mart_field_sample_contact``, in the same swapped schema as the sample (published
atomically with it), and

- ``evaluator`` and ``bi_reader`` get nothing on it (``grant_marts`` grants them every table of
  the schema; the contact table's grant is taken back right after, by ``grant_field_teams``);
- each field team is a NOLOGIN group role ``field_team_<city_code>`` (``field_team_1401``) with
  USAGE on the schema and SELECT on the contact table only;
- row-level security on the table shows a row only to members of the row's evaluating city's
  role: ``pg_has_role(current_user, 'field_team_' || evaluating_city_code, 'MEMBER')``. A login
  user granted ``field_team_1401`` sees Taiyuan's rows; one granted two teams sees both.

The table owner (the pipeline's dbt user) and superusers bypass row-level security as usual;
``FORCE ROW LEVEL SECURITY`` is not set because the audit reads the build as the pipeline.

The readers' grants and the field teams' revoke, grants and policy are one step in one module
on purpose: ``grant_marts`` cannot grant the readers a schema without taking the contact table
back from them, and any error in the field-team part fails the caller's transaction (the
publish), so a build is never swapped in with the plain head names readable by ``evaluator``
(it fails closed). Roles are cluster-wide: field-team roles are created if missing, from the
province's cities (the seed ``shanxi_counties``) and the cities the contact table names, so a
deployment can grant them to its login users before the first publish
(``grant field_team_1401 to alice``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

import psycopg
from psycopg import sql

from fangpin.config import dbt_project_dir

LOADER = "fangpin_loader"
TRANSFORMER = "fangpin_transformer"
EVALUATOR = "evaluator"
BI_READER = "bi_reader"

#: Every group role this module manages, in creation order.
ROLES: tuple[str, ...] = (LOADER, TRANSFORMER, EVALUATOR, BI_READER)
#: The roles that read the published marts and nothing else.
MART_READERS: tuple[str, ...] = (EVALUATOR, BI_READER)

#: Prefix of the field-team roles; the suffix is the 4-digit evaluating city code.
FIELD_TEAM_PREFIX = "field_team_"
#: The table with the plain head names, readable by the field teams only.
CONTACT_TABLE = "mart_field_sample_contact"
#: The row-level security policy on the contact table.
POLICY = "field_team_reads_own_city"


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
    grant_field_teams(conn, schema)


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
    revoke_field_teams(conn, schema)



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
        # The publish (run as the transformer) files each month of fct_household_month there.
        "grant usage, create on schema marts_partitions to {transformer}",
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



# --- field teams ------------------------------------------------------------------------


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

    ``grant_marts`` does this on every build; calling it directly lets a deployment grant the
    roles to its login users before the first publish. ``city_codes`` defaults to the
    province's cities. Created as the group roles are (``_create_role``: a concurrent setup
    winning the race is not an error).
    """
    codes = sorted(set(city_codes if city_codes is not None else province_city_codes(conn)))
    roles = [field_team_role(code) for code in codes]
    for role in roles:
        _create_role(conn, role)
    return roles


def grant_field_teams(conn: psycopg.Connection, schema: str) -> list[str]:
    """Field-team roles, grants and row-level security on ``schema``'s contact table.

    Idempotent (the policy is replaced), safe on a schema without the table (only the roles are
    ensured then). Returns the field-team roles granted. Called by ``grant_marts`` after
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

    Mirrors ``revoke_marts``: table grants and the policy stay, so a rollback that calls
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
