"""Login users for people and tools: a member of one reader role, with a generated password.

The group roles (``evaluator``, ``bi_reader``, ``field_team_<city>``) have no login; a person
gets a login that is a member of one. :func:`create_login` makes (or re-keys) such a login with
a random password that is never printed: it goes into a libpq password file (``.pgpass``
format, mode 0600) in ``FANGPIN_SECRETS_DIR``, and the ``psql`` line returned points at it.
The password reaches the server as a SCRAM verifier only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from fangpin.config import secrets_dir
from fangpin.warehouse.connection import database_name, normalise_url
from fangpin.warehouse.embedded import scram_verifier
from fangpin.warehouse.roles import FIELD_TEAM_PREFIX, MART_READERS
from fangpin.warehouse.secret_files import write_secret


@dataclass(frozen=True)
class Login:
    """A login and how to use it, without its password."""

    name: str
    role: str
    host: str
    port: int
    database: str
    passfile: Path

    @property
    def conninfo(self) -> str:
        return f"host={self.host} port={self.port} dbname={self.database} user={self.name}"

    @property
    def psql(self) -> str:
        """The command that logs in: libpq reads the password from the 0600 file."""
        return f'PGPASSFILE={self.passfile} psql "{self.conninfo}"'

    def password(self) -> str:
        return self.passfile.read_text(encoding="utf-8").strip().rsplit(":", 1)[1]


def reader_role(role: str) -> str:
    """Accept only the roles that read ``marts`` and nothing else."""
    if role in MART_READERS or (
        role.startswith(FIELD_TEAM_PREFIX) and role[len(FIELD_TEAM_PREFIX):].isdigit()
    ):
        return role
    raise ValueError(
        f"{role!r} is not a reader role: use evaluator, bi_reader or field_team_<city_code>"
    )


def create_login(url: str, role: str, name: str) -> Login:
    """Create login ``name`` in ``role`` (or give an existing one a new password).

    ``url`` is an administrator's URL of the warehouse database; the login is for the same
    host, port and database. The password file is replaced on every call, so it always holds
    the password the server has.
    """
    role = reader_role(role)
    parts = urlsplit(normalise_url(url))
    login = Login(
        name=name,
        role=role,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        database=database_name(url),
        passfile=secrets_dir() / f"login-{name}.pgpass",
    )
    password = secrets.token_urlsafe(24)
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
            raise ValueError(f"role {role} does not exist: run `fangpin setup` first")
        ident = sql.Identifier(name)
        if conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("alter role {} login").format(ident))
        else:
            conn.execute(sql.SQL("create role {} login").format(ident))
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(role), ident))
        verifier = sql.Literal(scram_verifier(password))
        conn.execute(sql.SQL("alter role {} password {}").format(ident, verifier))
    line = f"{login.host}:{login.port}:{login.database}:{name}:{password}\n"
    write_secret(login.passfile, line, replace=True)
    return login
