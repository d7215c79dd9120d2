"""The pseudonym key: the warehouse's own secret, and the fingerprint that pins it.

``head_person_key`` and every ``person_key`` are HMAC-SHA256 of an id number under this key.
An id number has few unknown digits (a masked id hides only the birth date, about 37,000
candidates thinned by the check character), so whoever holds the key recovers the id number
in seconds: the key must be one that nobody but the pipeline knows.

- **Configured** (``FANGPIN_PSEUDONYM_KEY``, or ``FANGPIN_PSEUDONYM_KEY_FILE`` naming a mounted
  secret): used as it is, after refusing one shorter than 32 bytes or one that appears anywhere
  in the project's own files (the development key that once shipped, an example in the docs).
- **Generated** when none is configured: 256 random bits at the warehouse's first setup, in
  ``<FANGPIN_SECRETS_DIR>/pseudonym-<warehouse id>.key`` (mode 0600; default ``.secrets/`` in the
  project). It never enters the database, a log, dbt's ``target/`` or an XCom: dbt receives it
  as a session setting through ``PGOPTIONS`` in its process environment only.

The warehouse records, in ``ops.pseudonym_key``, a random warehouse id (which names the key
file, so two warehouses never share one) and the key's *fingerprint*: HMAC-SHA256 of a fixed
label under the key, which tells a right key from a wrong one and reveals nothing of the key.
Every pipeline step calls :func:`ensure_key_matches` first, so a worker configured with another
key fails with :class:`KeyMismatch` before it writes anything, instead of publishing a month
whose pseudonyms no longer link to the months before.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import psycopg

from fangpin.config import configured_pseudonym_key, project_root, secrets_dir
from fangpin.warehouse.secret_files import read_secret, write_secret

#: The shortest key accepted, in bytes: 256 bits.
MIN_KEY_BYTES = 32
#: What the fingerprint is the HMAC of. Changing it changes every recorded fingerprint.
FINGERPRINT_LABEL = b"fangpin pseudonym key fingerprint v1"
#: Folders and top-level files whose text a configured key must not appear in.
SOURCE_FOLDERS = ("include", "dags", "dbt_project", "tests", "docs", "expectations", "scripts",
                  "docker")
SOURCE_FILES = ("README.md", "Makefile", "docker-compose.yml", "pyproject.toml", "Dockerfile")
_SKIP_PARTS = {"target", "logs", "__pycache__", "dbt_packages", "uncommitted", ".git"}
_SOURCE_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".md", ".toml", ".txt", ".json", ".csv",
                    ".cfg", ".ini", ".sh", ".env", ""}
_BUILT_SCHEMAS = ("intermediate", "marts", "marts_build", "marts_partitions")


class PseudonymKeyError(RuntimeError):
    """Something is wrong with the pseudonym key; the message says what to do."""


class WeakKey(PseudonymKeyError):
    """A configured key that is too short or that the project's own files contain."""


class KeyMissing(PseudonymKeyError):
    """The key this warehouse was set up with cannot be found in this process."""


class KeyMismatch(PseudonymKeyError):
    """This process's key is not the one the warehouse's pseudonyms were made with."""


@dataclass(frozen=True)
class RecordedKey:
    """What the warehouse knows of its key: never the key itself."""

    warehouse_id: str
    fingerprint: str
    source: str  # 'generated' or 'configured'

    @property
    def key_file(self) -> Path:
        return key_file(self.warehouse_id)


def fingerprint(key: str) -> str:
    """HMAC-SHA256 of a fixed label under ``key``: the same key, the same fingerprint."""
    return hmac.new(key.encode("utf-8"), FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


def key_file(warehouse_id: str) -> Path:
    """The generated key of the warehouse ``warehouse_id``."""
    return secrets_dir() / f"pseudonym-{warehouse_id}.key"


def check_strength(key: str) -> None:
    """Refuse a key that is short or that anyone with the source can read."""
    if len(key.encode("utf-8")) < MIN_KEY_BYTES:
        raise WeakKey(
            f"FANGPIN_PSEUDONYM_KEY is {len(key.encode('utf-8'))} bytes; at least "
            f"{MIN_KEY_BYTES} are needed. Unset it to let the warehouse generate its own key, "
            'or set a random one: python -c "import secrets; print(secrets.token_urlsafe(32))"'
        )
    found = next((path for path, text in _source_texts() if key in text), None)
    if found is not None:
        raise WeakKey(
            f"FANGPIN_PSEUDONYM_KEY appears in the project's own file {found}: anyone with the "
            "source could reverse every pseudonym. Unset it to let the warehouse generate its "
            "own key, or set a random one that is kept only in your secret store"
        )


def ensure_fingerprint(conn: psycopg.Connection) -> RecordedKey:
    """Record the warehouse's key at its first setup; return what is recorded.

    Runs inside ``ensure_warehouse``'s transaction, under its lock, after ``ops.pseudonym_key``
    exists. A configured key is recorded as it is; otherwise a new key is generated into its
    file. A warehouse that already holds built pseudonyms but no record (set up before keys were
    recorded, when a public development key was the default) is refused: its key is unknown.
    """
    recorded = _recorded(conn)
    if recorded is not None:
        return recorded
    configured = configured_pseudonym_key()
    if configured:
        check_strength(configured)
    elif _has_built_pseudonyms(conn):
        raise KeyMissing(
            f"database {conn.info.dbname} holds pseudonyms built before Fangpin recorded its key, "
            "so the key they were made with is unknown (without FANGPIN_PSEUDONYM_KEY it was the "
            "development key that shipped in the source, which reverses them). Set "
            "FANGPIN_PSEUDONYM_KEY to the key it was built with, or rebuild it under a new key "
            "(README, 'Secrets': rotating the key)"
        )
    warehouse_id = str(uuid.uuid4())
    key = configured or _generate(warehouse_id)
    conn.execute(
        "insert into ops.pseudonym_key (warehouse_id, fingerprint, source) values (%s, %s, %s)",
        (warehouse_id, fingerprint(key), "configured" if configured else "generated"),
    )
    return RecordedKey(warehouse_id, fingerprint(key), "configured" if configured else "generated")


def pseudonym_key(url: str) -> str:
    """The key to hash with on the warehouse ``url``, checked against its fingerprint.

    The configured key when there is one, else the warehouse's generated key from its file.
    Raises :class:`KeyMismatch`, :class:`KeyMissing` or :class:`WeakKey` with what to do.
    """
    with psycopg.connect(url) as conn:
        recorded = _recorded(conn)
    configured = configured_pseudonym_key()
    if configured:
        check_strength(configured)
        key = configured
    elif recorded is None:
        raise KeyMissing(
            "the warehouse has no pseudonym key yet: set it up first (`fangpin setup`, or any "
            "`fangpin run`), which generates one, or set FANGPIN_PSEUDONYM_KEY"
        )
    else:
        key = _read_generated(recorded)
    if recorded is not None and not hmac.compare_digest(fingerprint(key), recorded.fingerprint):
        raise KeyMismatch(_mismatch_message(recorded, configured is not None))
    return key


def ensure_key_matches(url: str) -> None:
    """Fail (:class:`KeyMismatch`, :class:`KeyMissing`) unless this process has the warehouse's
    key; the first call of every pipeline step, so a wrong key never writes a row."""
    pseudonym_key(url)


def recorded_key(url: str) -> RecordedKey | None:
    """The warehouse's record of its key (id, fingerprint, source), ``None`` before setup."""
    with psycopg.connect(url) as conn:
        return _recorded(conn)


def source_files(root: Path | None = None) -> list[Path]:
    """The project's own text files: what a configured key must not appear in."""
    root = root or project_root()
    files = [root / name for name in SOURCE_FILES if (root / name).is_file()]
    for folder in SOURCE_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if (
                path.is_file()
                and path.suffix in _SOURCE_SUFFIXES
                and not _SKIP_PARTS.intersection(path.relative_to(root).parts)
                and path.stat().st_size < 5_000_000
            ):
                files.append(path)
    return files


@lru_cache(maxsize=1)
def _source_texts() -> tuple[tuple[Path, str], ...]:
    texts = []
    for path in source_files():
        try:
            texts.append((path, path.read_text(encoding="utf-8", errors="ignore")))
        except OSError:
            continue
    return tuple(texts)


def _generate(warehouse_id: str) -> str:
    key = secrets.token_urlsafe(MIN_KEY_BYTES)  # 32 random bytes, 43 characters
    write_secret(key_file(warehouse_id), key + "\n")
    return key


def _read_generated(recorded: RecordedKey) -> str:
    path = recorded.key_file
    if recorded.source == "configured":
        raise KeyMissing(
            "this warehouse was set up with a configured key (FANGPIN_PSEUDONYM_KEY), and this "
            "process has none: give it the same FANGPIN_PSEUDONYM_KEY as the other workers"
        )
    if not path.exists():
        raise KeyMissing(
            f"this warehouse's generated pseudonym key should be in {path}, which does not "
            "exist: restore it from your backup (or point FANGPIN_SECRETS_DIR at the folder "
            "holding it), or set FANGPIN_PSEUDONYM_KEY to the key. Without it new months cannot "
            "link to the published ones"
        )
    return read_secret(path)


def _mismatch_message(recorded: RecordedKey, configured: bool) -> str:
    where = (
        "a configured FANGPIN_PSEUDONYM_KEY"
        if recorded.source == "configured"
        else f"the key generated for it ({recorded.key_file})"
    )
    mine = "FANGPIN_PSEUDONYM_KEY" if configured else f"the key in {recorded.key_file}"
    return (
        f"{mine} is not the key this warehouse's pseudonyms were made with ({where}; the "
        "fingerprints in ops.pseudonym_key differ). Every person_key would change: nothing was "
        "written. Give every worker the same key, or unset FANGPIN_PSEUDONYM_KEY where the "
        "warehouse's generated key should be used"
    )


def _recorded(conn: psycopg.Connection) -> RecordedKey | None:
    exists = conn.execute("select to_regclass('ops.pseudonym_key') is not null").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute(
        "select warehouse_id::text, fingerprint, source from ops.pseudonym_key"
    ).fetchone()
    return RecordedKey(*row) if row else None


def _has_built_pseudonyms(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "select exists (select 1 from pg_tables where schemaname = any(%s))",
        (list(_BUILT_SCHEMAS),),
    ).fetchone()
    return bool(row and row[0])
