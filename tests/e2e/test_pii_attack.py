"""The attacker's test: from what an evaluator reads, try to recover the heads' id numbers.

An evaluator reads ``head_id_masked`` (``142701********123X``: region, sequence and check
character known, the 8 birth-date digits hidden) and ``head_person_key`` (HMAC-SHA256 of the
id number under the pseudonym key). Whoever knows the key tries every birth date from 1900 to
2026 whose check character fits (about 1 date in 11) and compares the HMACs: that recovered
199 of 200 ids in 23 seconds when the key was the development key that shipped in the source.

Here the attacker tries every string literal found in the project's own files, and the empty
key, against the province published by ``conftest.evaluation_province`` (set up as the README
says: no key configured) through a real evaluator login with a password. It must recover
nothing. Two controls show that the same code does recover every head once it has the key: a
separate small build forced onto a key the attacker knows (``FANGPIN_PSEUDONYM_KEY``), and the
published province attacked with its key file stolen. Each prints its figures.

A wrong key is screened on one head (its ~4,200 fitting dates): a key that recovers nobody
there is not the key, since the right key recovers every head. Keys that pass the screen are
tried on every head.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import psycopg
import pytest

from fangpin.synth.idnum import CHECK_CHARS, WEIGHTS
from fangpin.warehouse import pseudonym_key as pk

pytestmark = pytest.mark.slow

FIRST_BIRTH_DATE, LAST_BIRTH_DATE = date(1900, 1, 1), date(2026, 12, 31)
_LITERAL = re.compile(
    r'"""(.*?)"""|\'\'\'(.*?)\'\'\'|"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'|`([^`\n]+)`',
    re.S,
)
_ID_NUMBER = re.compile(rb"(?<!\d)\d{17}[\dX](?!\d)")


# --- the attacker --------------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    masked: str
    person_key: bytes


@dataclass
class Outcome:
    keys_tried: int
    heads: int
    candidates_per_head: float
    recovered: dict[bytes, str]  # person_key -> recovered id number
    seconds: float


def source_literals() -> set[str]:
    """Every quoted or back-quoted string in the project's own files, as an attacker with the
    source would collect them (the development key that once shipped among them)."""
    found: set[str] = set()
    for path in pk.source_files():
        text = path.read_text(encoding="utf-8", errors="ignore")
        for match in _LITERAL.finditer(text):
            found.add(next(g for g in match.groups() if g is not None))
    return found


def _date_table() -> tuple[list[bytes], np.ndarray]:
    days = (LAST_BIRTH_DATE - FIRST_BIRTH_DATE).days + 1
    dates = [(FIRST_BIRTH_DATE + timedelta(d)).strftime("%Y%m%d") for d in range(days)]
    digits = np.array([[int(c) for c in d] for d in dates], dtype=np.int64)
    weighted = digits @ np.array(WEIGHTS[6:14], dtype=np.int64)  # positions 7-14
    return [d.encode() for d in dates], weighted


_DATES, _DATE_WEIGHTS = _date_table()
_CHECK = np.array(list(CHECK_CHARS))


def candidates(masked: str) -> list[bytes]:
    """Every id number the mask allows whose check character fits."""
    region, tail = masked[:6], masked[-4:]
    fixed = sum(int(c) * w for c, w in zip(region + tail[:3], WEIGHTS[:6] + WEIGHTS[14:],
                                           strict=True))
    fits = np.nonzero(_CHECK[(fixed + _DATE_WEIGHTS) % 11] == tail[3])[0]
    prefix, suffix = region.encode(), tail.encode()
    return [prefix + _DATES[i] + suffix for i in fits.tolist()]


class Hasher:
    """HMAC-SHA256 under one key with its padded states computed once (RFC 2104)."""

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def find(self, messages: list[bytes], digest: bytes) -> bytes | None:
        """The message whose HMAC is ``digest``, if any (the hot loop: locals only)."""
        inner0, outer0 = self._inner, self._outer
        for message in messages:
            inner = inner0.copy()
            inner.update(message)
            outer = outer0.copy()
            outer.update(inner.digest())
            if outer.digest() == digest:
                return message
        return None


def recover(heads: list[Head], hasher: Hasher, tried: dict[str, list[bytes]]) -> dict[bytes, str]:
    found = {}
    for head in heads:
        match = hasher.find(tried.setdefault(head.masked, candidates(head.masked)), head.person_key)
        if match is not None:
            found[head.person_key] = match.decode()
    return found


def attack(heads: list[Head], keys: Iterable[str]) -> Outcome:
    started = time.perf_counter()
    cache: dict[str, list[bytes]] = {}
    screen = heads[:1]
    recovered: dict[bytes, str] = {}
    keys = sorted(set(keys))
    for key in keys:
        hasher = Hasher(key.encode("utf-8"))
        if recover(screen, hasher, cache):
            recovered.update(recover(heads, hasher, cache))
    per_head = float(np.mean([len(c) for c in cache.values()])) if cache else 0.0
    return Outcome(len(keys), len(heads), per_head, recovered, time.perf_counter() - started)


def report(name: str, outcome: Outcome) -> None:
    print(
        f"\n[pii attack] {name}: keys tried {outcome.keys_tried}, heads {outcome.heads}, "
        f"~{outcome.candidates_per_head:.0f} candidate ids per head, recovered "
        f"{len(outcome.recovered)} of {outcome.heads} in {outcome.seconds:.1f} s"
    )


# --- what the evaluator reads ----------------------------------------------------------------


def heads_as_evaluator(dsn: str, table: str = "marts.fct_household_month") -> list[Head]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            f"select distinct head_id_masked, head_person_key from {table} "
            "where head_id_masked is not null order by 1, 2"
        ).fetchall()
    return [Head(masked, bytes.fromhex(key)) for masked, key in rows]


def true_ids(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute(
            "select head_id_number from raw.registry_households "
            "union select id_number from raw.registry_members"
        ).fetchall()}


@pytest.fixture(scope="module")
def evaluator_dsn(evaluation_province) -> Iterator[str]:
    """A real evaluator login over TCP, with its password (what the guide has one make)."""
    from fangpin.warehouse.logins import create_login

    name = f"t_attacker_{uuid.uuid4().hex[:6]}"
    login = create_login(evaluation_province.url, "evaluator", name)
    yield f"{login.conninfo} password={login.password()}"
    with psycopg.connect(evaluation_province.url, autocommit=True) as conn:
        conn.execute(f'drop role "{name}"')
    login.passfile.unlink()


@pytest.fixture(scope="module")
def published_heads(evaluator_dsn: str) -> list[Head]:
    heads = heads_as_evaluator(evaluator_dsn)
    assert len(heads) >= 500, "the province has a head per household"
    return heads


# --- the tests -------------------------------------------------------------------------------


def test_the_literals_include_the_development_key_that_once_shipped() -> None:
    literals = source_literals()
    assert "fangpin-development-key-not-for-production" in literals
    assert len(literals) > 1000


def test_no_key_from_the_source_recovers_any_head(
    evaluation_province, published_heads: list[Head]
) -> None:
    recorded = pk.recorded_key(evaluation_province.url)
    assert recorded is not None
    outcome = attack(published_heads, source_literals() | {""})
    report("published province, every literal of the source + the empty key", outcome)
    assert outcome.candidates_per_head > 3000  # ~1 in 11 of 46,020 dates
    assert outcome.recovered == {}


def test_control_a_build_forced_onto_a_known_key_gives_every_head_away(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fangpin.load import discover, load_feed_month
    from fangpin.pipeline.setup import ensure_warehouse
    from fangpin.synth import write_province
    from fangpin.transform.dbt import run_dbt
    from fangpin.warehouse.connection import drop_database, ensure_database, with_database

    known = secrets.token_urlsafe(32)  # known to the attacker: in the list it tries
    monkeypatch.setenv("FANGPIN_PSEUDONYM_KEY", known)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    landing = tmp_path / "landing"
    month = date(2021, 1, 1)
    write_province(landing, households=120, months=[month], seed=7)
    url = with_database(server_url, f"fangpin_attack_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    try:
        ensure_warehouse(url)
        for feed in discover(landing)[month]:
            load_feed_month(url, landing, month, feed, run_id="attack-control")
        run_dbt(url, ["build", "--select", "+fct_household_month", "--resource-type", "seed",
                      "--resource-type", "model"], month=month)
        heads = heads_as_evaluator(url, "marts_build.fct_household_month")
        truth = true_ids(url)
    finally:
        drop_database(url)
    outcome = attack(heads, ["", known])  # the same attack; the literals are tried above
    report("control: a build forced onto a known key", outcome)
    assert len(heads) >= 100
    assert len(outcome.recovered) == len(heads)
    assert set(outcome.recovered.values()) <= truth


def test_control_the_published_province_falls_to_whoever_steals_its_key_file(
    evaluation_province, published_heads: list[Head]
) -> None:
    stolen = pk.pseudonym_key(evaluation_province.url)
    outcome = attack(published_heads, [stolen])
    report("control: the published province with its key file stolen", outcome)
    assert len(outcome.recovered) == len(published_heads)
    assert set(outcome.recovered.values()) <= true_ids(evaluation_province.url)


def test_no_key_or_id_number_in_the_files_a_run_leaves(
    evaluation_province, tmp_path: Path
) -> None:
    """dbt's target and logs of the build, and the HTML report, hold neither key nor id."""
    from fangpin.report import write_report

    key = pk.pseudonym_key(evaluation_province.url).encode()
    ids = {i.encode() for i in true_ids(evaluation_province.url)}
    report_file = write_report(evaluation_province.url, evaluation_province.months[-1], tmp_path)
    roots = [evaluation_province.dbt_target, evaluation_province.dbt_target.parent / "dbt-logs"]
    files = [p for root in roots for p in root.rglob("*") if p.is_file()] + [report_file]
    assert any(p.name == "dbt.log" for p in files) and any(p.suffix == ".sql" for p in files)
    for path in files:
        data = path.read_bytes()
        assert key not in data, f"the pseudonym key is in {path}"
        assert b"fangpin.pseudonym_key=" not in data, f"PGOPTIONS is in {path}"
        leaked = {m for m in _ID_NUMBER.findall(data) if m in ids}
        assert not leaked, f"{len(leaked)} id numbers in {path}"
    print(f"\n[pii attack] scanned {len(files)} files (dbt target, dbt logs, report): clean")
