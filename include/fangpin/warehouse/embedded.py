"""An embedded PostgreSQL cluster inside the project, for when no ``WAREHOUSE_URL`` is given.

PostgreSQL refuses to run as root, and sessions and CI run as root; so when we are root the
data folder is handed to the ``postgres`` system user and the server binaries run through
``runuser``. The cluster listens on 127.0.0.1 on a free port chosen at first start and kept
in ``port`` beside the data, so that the URL stays the same across restarts.

The cluster is locked: every TCP login needs a password (``scram-sha-256``), the superuser's
is generated at the first start and kept in ``superuser.password`` beside the data (mode 0600),
and :meth:`EmbeddedWarehouse.url` carries it. The Unix socket, in the data folder (mode 0700),
admits only the cluster's owner as ``postgres`` (``peer``), which is how the password is set.
A cluster made before the lock (``--auth=trust``) is locked the next time it starts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from fangpin.config import project_root
from fangpin.warehouse.secret_files import read_secret, write_secret

DATABASE = "fangpin"
SUPERUSER = "postgres"
_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class PostgresNotInstalled(RuntimeError):
    """The server binaries are missing: say what to install rather than fail obscurely."""


@dataclass(frozen=True)
class EmbeddedWarehouse:
    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "pgdata"

    @property
    def port_file(self) -> Path:
        return self.root / "port"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.root / "superuser.password"

    @property
    def port(self) -> int:
        return int(self.port_file.read_text().strip())

    def url(self, database: str = DATABASE) -> str:
        """The superuser's URL, with its password once the cluster is locked."""
        secret = ""
        if self.password_file.exists():
            secret = ":" + quote(read_secret(self.password_file), safe="")
        return f"postgresql://{SUPERUSER}{secret}@127.0.0.1:{self.port}/{database}"

    def is_locked(self) -> bool:
        """Password set and ``pg_hba.conf`` the locked one (no trust, scram over TCP)."""
        hba = self.data_dir / "pg_hba.conf"
        return (
            self.password_file.exists()
            and hba.exists()
            and hba.read_text() == _hba()
            and (self.data_dir / "pg_ident.conf").read_text() == _ident()
        )

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists() and self.port_file.exists()

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        result = _run_as_owner([_bin("pg_ctl"), "-D", str(self.data_dir), "status"], check=False)
        return result.returncode == 0

    def start(self) -> str:
        """Initialise on first use, start if stopped, create the database; return its URL."""
        if not self.is_initialised():
            self._initdb()
        if not self.is_running():
            _run_as_owner(
                [
                    _bin("pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-o",
                    f"-p {self.port} -k {self.data_dir}",
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            )
        _wait_for_port(self.port)
        if not self.is_locked():
            self._lock()
        self._ensure_database(DATABASE)
        return self.url()

    def stop(self) -> None:
        if self.is_running():
            _run_as_owner([_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])

    def status(self) -> str:
        if not self.is_initialised():
            return f"not initialised ({self.data_dir})"
        from fangpin.warehouse.connection import redacted

        state = "running" if self.is_running() else "stopped"
        return f"{state} at {redacted(self.url())} (data {self.data_dir})"

    def _initdb(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir(mode=0o700)
        _hand_to_owner(self.root)
        _run_as_owner(
            [
                _bin("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth-local=peer",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        )
        conf = self.data_dir / "postgresql.conf"
        with conf.open("a") as fh:
            fh.write(_TUNING)
        self._write_auth_files()
        self.port_file.write_text(str(_free_port()))

    def _lock(self) -> None:
        """Give the superuser a password (kept 0600 beside the data) and lock ``pg_hba.conf``.

        Runs on the first start, and on the first start of a cluster made before the lock: the
        password file is written first, the role's SCRAM verifier is set through the owner's
        Unix socket (the plain password never reaches the server or a command line), then the
        locked ``pg_hba.conf`` is loaded. Each step is repeatable, so an interrupted lock
        finishes on the next start.
        """
        if not self.password_file.exists():
            write_secret(self.password_file, secrets.token_urlsafe(24) + "\n")
        verifier = scram_verifier(read_secret(self.password_file))
        self._write_auth_files()
        _run_as_owner([_bin("pg_ctl"), "-D", str(self.data_dir), "reload"])
        _run_as_owner(
            [
                _bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.data_dir),
                "-p", str(self.port), "-U", SUPERUSER, "-d", "postgres",
            ],
            stdin=f"alter role {SUPERUSER} password '{verifier}';\n",
        )

    def _write_auth_files(self) -> None:
        """Write the locked ``pg_hba.conf`` and its ident map, keeping their owner and mode."""
        for name, text in (("pg_hba.conf", _hba()), ("pg_ident.conf", _ident())):
            path = self.data_dir / name
            if path.exists() and path.read_text() == text:
                continue
            with path.open("w") as fh:  # truncating keeps the postgres owner and the 0600 mode
                fh.write(text)

    def _ensure_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "select 1 from pg_database where datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'create database "{name}"')


_TUNING = """
# fangpin embedded warehouse: sized for a 2-core, 24 GiB machine running batch loads
listen_addresses = '127.0.0.1'
max_connections = 200
shared_buffers = 2GB
work_mem = 64MB
maintenance_work_mem = 512MB
effective_cache_size = 8GB
max_wal_size = 8GB
checkpoint_timeout = 30min
synchronous_commit = off
wal_level = minimal
max_wal_senders = 0
jit = off
"""


def _hba() -> str:
    return (
        "# fangpin embedded warehouse: locked (fangpin.warehouse.embedded). TCP logins need a\n"
        "# password; the socket (in the 0700 data folder) admits only the cluster owner.\n"
        "# TYPE  DATABASE  USER      ADDRESS       METHOD\n"
        f"local   all       {SUPERUSER}                peer map=fangpin\n"
        "host    all       all       127.0.0.1/32  scram-sha-256\n"
        "host    all       all       ::1/128       scram-sha-256\n"
    )


def _ident() -> str:
    """The socket's peer map: the OS user who owns the cluster may be ``postgres``, no one else."""
    owner = "postgres" if _is_root() else pwd.getpwuid(os.geteuid()).pw_name
    return f"# MAPNAME  SYSTEM-USERNAME  PG-USERNAME\nfangpin    {owner}  {SUPERUSER}\n"


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """The ``SCRAM-SHA-256$…`` verifier PostgreSQL stores for ``password`` (RFC 7677).

    Setting a role's password as its verifier keeps the password itself off the wire and out
    of any server log line that might quote the statement.
    """
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def default() -> EmbeddedWarehouse:
    return EmbeddedWarehouse(
        Path(os.environ.get("FANGPIN_WAREHOUSE_DIR") or project_root() / ".warehouse")
    )


def _bin(name: str) -> str:
    for folder in _BIN_CANDIDATES:
        candidate = folder / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise PostgresNotInstalled(
        f"PostgreSQL server binary '{name}' not found. Install the server "
        "(Debian/Ubuntu: `apt-get install postgresql`), or set WAREHOUSE_URL to an existing server."
    )


def _is_root() -> bool:
    return os.geteuid() == 0


def _hand_to_owner(path: Path) -> None:
    """As root, hand the cluster folder to ``postgres`` and make its parents traversable."""
    if not _is_root():
        return
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresNotInstalled(
            "Running as root needs the 'postgres' system user to own the embedded cluster; "
            "install PostgreSQL (`apt-get install postgresql`) or set WAREHOUSE_URL."
        ) from exc
    for dirpath, _dirs, files in os.walk(path):
        os.chown(dirpath, owner.pw_uid, owner.pw_gid)
        for name in files:
            os.chown(os.path.join(dirpath, name), owner.pw_uid, owner.pw_gid)
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)


def _run_as_owner(
    cmd: list[str], check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    if _is_root():
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd="/", input=stdin)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"embedded PostgreSQL did not open port {port} within {timeout}s")
