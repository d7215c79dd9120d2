"""The policy tables in the warehouse: which one is in force, importing, exporting, looking up.

In force is ``policy.<name>`` when the bureau imported one, else the shipped seed as dbt loaded
it into ``seeds.<name>``. The project's seed CSV files are never read here: what counts is what
the warehouse holds, the same tables the next build reads.

An import is validated whole (``catalog``), then replaces ``policy.<name>`` and records itself
in ``ops.policy_import`` in one transaction, under the warehouse's exclusive writer lock, so a
build running meanwhile finishes on the old table and the next build of a month uses the new
one. A rejected import changes nothing and is recorded too, with its error.

The shipped seeds must be in the warehouse first (``fangpin.pipeline.setup.ensure_seeds``, which
``fangpin policy`` calls: it runs ``dbt seed``, a layer above this one); without them
:func:`in_force` says so (``PolicyInvalid``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg import sql

from fangpin.policy.catalog import PolicyInvalid, PolicyTable, Province, parse_rows
from fangpin.policy.catalog import table as policy_table
from fangpin.policy.catalog import validate as validate_rows
from fangpin.warehouse.connection import connect, one_row

log = logging.getLogger(__name__)
#: How long an import waits for a running build, audit or publish to finish.
LOCK_WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class InForce:
    """Which table of a policy is in force, and where it came from."""

    name: str
    schema: str  # policy (imported) or seeds (shipped)
    rows: int
    file_name: str | None = None
    checksum: str | None = None
    imported_at: datetime | None = None

    def describe(self) -> str:
        if self.schema == "policy":
            at = f"{self.imported_at:%Y-%m-%d %H:%M}" if self.imported_at else "?"
            return (f"imported {at} from {self.file_name} "
                    f"(sha256 {(self.checksum or '')[:12]}), {self.rows} rows")
        return f"shipped default (seed), {self.rows} rows"


def _exists(conn: psycopg.Connection, schema: str, name: str) -> bool:
    row = one_row(conn.execute("select to_regclass(%s) is not null", (f"{schema}.{name}",)))
    return bool(row[0])


def in_force(conn: psycopg.Connection, name: str) -> InForce:
    policy = policy_table(name)
    schema = "policy" if _exists(conn, "policy", policy.name) else "seeds"
    if not _exists(conn, schema, policy.name):
        raise PolicyInvalid(f"{name}: the shipped seed is not in the warehouse yet")
    rows = one_row(conn.execute(
        sql.SQL("select count(*) from {}").format(sql.Identifier(schema, policy.name))
    ))[0]
    if schema == "seeds":
        return InForce(policy.name, schema, rows)
    last = conn.execute(
        "select file_name, checksum, imported_at from ops.policy_import"
        " where policy = %s and status = 'imported' order by import_id desc limit 1",
        (policy.name,),
    ).fetchone()
    return InForce(policy.name, schema, rows, *(last or (None, None, None)))


def read_rows(conn: psycopg.Connection, name: str) -> tuple[InForce, list[tuple]]:
    """The in-force table's rows, in its columns' order, sorted by its key."""
    source = in_force(conn, name)
    policy = policy_table(name)
    present = {
        r[0] for r in conn.execute(
            "select column_name from information_schema.columns"
            " where table_schema = %s and table_name = %s",
            (source.schema, policy.name),
        )
    }
    columns = sql.SQL(", ").join(
        sql.Identifier(c) if c in present else sql.SQL("null")
        for c in policy.column_names
    )
    order = sql.SQL(", ").join(sql.Identifier(k) for k in policy.key)
    rows = conn.execute(
        sql.SQL("select {} from {} order by {}").format(
            columns, sql.Identifier(source.schema, policy.name), order
        )
    ).fetchall()
    return source, rows


def parameter(conn: psycopg.Connection, name: str) -> Decimal | None:
    """A policy parameter's value in force (imported, else shipped), None when neither is loaded."""
    for schema in ("policy", "seeds"):
        if _exists(conn, schema, "policy_parameters"):
            row = conn.execute(
                sql.SQL("select value from {} where parameter = %s").format(
                    sql.Identifier(schema, "policy_parameters")
                ),
                (name,),
            ).fetchone()
            return Decimal(row[0]) if row else None
    return None


def province(conn: psycopg.Connection) -> Province:
    rows = conn.execute(
        "select county_code::text, county_name::text, city_code::text from seeds.shanxi_counties"
    ).fetchall()
    return Province({code: (name, city) for code, name, city in rows})


def export_policy(url: str, name: str, path: Path) -> InForce:
    """Write the table in force as CSV (UTF-8, the same columns an import takes)."""
    with connect(url) as conn:
        source, rows = read_rows(conn, name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(policy_table(name).column_names)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    Path(path).write_text(buffer.getvalue(), encoding="utf-8")
    return source


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise PolicyInvalid(f"{name}: the file is neither UTF-8 nor GB18030 text") from None


def parse_file(policy: PolicyTable, path: Path) -> list[dict]:
    data = Path(path).read_bytes()
    lines = list(csv.reader(io.StringIO(_decode(data, policy.name), newline="")))
    if not lines:
        raise PolicyInvalid(f"{policy.name}: {Path(path).name} is empty (no header row)")
    return parse_rows(policy, lines[0], lines[1:])


def import_policy(url: str, name: str, path: Path) -> InForce:
    """Validate ``path`` whole and make it the table in force.

    Raises PolicyInvalid, leaving everything as it was (the rejection is recorded).
    """
    policy = policy_table(name)
    path = Path(path)
    if not path.is_file():
        raise PolicyInvalid(f"{name}: no such file {path}")
    checksum = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        rows = parse_file(policy, path)
        with connect(url) as conn:
            rows = validate_rows(policy, rows, province(conn))
    except PolicyInvalid as exc:
        _record(url, policy.name, path.name, checksum, None, "rejected", str(exc))
        raise
    from fangpin.warehouse.writer_lock import writer_lock

    with (
        writer_lock(url, f"fangpin policy import {policy.name}", wait_seconds=LOCK_WAIT_SECONDS),
        connect(url) as conn,
    ):
        _replace_table(conn, policy, rows)
        _insert_record(conn, policy.name, path.name, checksum, len(rows), "imported", None)
        source = in_force(conn, policy.name)
    log.info("policy %s: %s", policy.name, source.describe())
    return source


def reset_policy(url: str, name: str) -> InForce:
    """Drop the imported table: the shipped seed is in force again from the next build."""
    from fangpin.warehouse.writer_lock import writer_lock

    policy = policy_table(name)
    with (
        writer_lock(url, f"fangpin policy reset {policy.name}", wait_seconds=LOCK_WAIT_SECONDS),
        connect(url) as conn,
    ):
        target = sql.Identifier("policy", policy.name)
        conn.execute(sql.SQL("drop table if exists {}").format(target))
        _insert_record(conn, policy.name, "(shipped seed)", "", None, "reset", None)
        return in_force(conn, policy.name)


def _replace_table(conn: psycopg.Connection, policy: PolicyTable, rows: list[dict]) -> None:
    target = sql.Identifier("policy", policy.name)
    conn.execute(sql.SQL("drop table if exists {}").format(target))
    conn.execute(
        sql.SQL("create table {} ({})").format(
            target,
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.sql_type))
                for c in policy.columns
            ),
        )
    )
    names = sql.SQL(", ").join(sql.Identifier(c) for c in policy.column_names)
    with conn.cursor().copy(sql.SQL("copy {} ({}) from stdin").format(target, names)) as copy:
        for row in rows:
            copy.write_row([row[c] for c in policy.column_names])
    comment = sql.Literal(f"Imported by fangpin policy import: {policy.description}")
    conn.execute(sql.SQL("comment on table {} is {}").format(target, comment))


def _insert_record(
    conn: psycopg.Connection, name: str, file_name: str, checksum: str, rows: int | None,
    status: str, error: str | None,
) -> None:
    conn.execute(
        "insert into ops.policy_import (policy, file_name, checksum, row_count, status, error)"
        " values (%s, %s, %s, %s, %s, %s)",
        (name, file_name, checksum, rows, status, error),
    )


def _record(url: str, *args: object) -> None:
    with connect(url) as conn:
        _insert_record(conn, *args)  # type: ignore[arg-type]


def imports(conn: psycopg.Connection, limit: int = 20) -> list[tuple]:
    return conn.execute(
        "select imported_at, policy, status, file_name, left(checksum, 12), row_count,"
        " coalesce(error, '') from ops.policy_import order by import_id desc limit %s",
        (limit,),
    ).fetchall()
