"""The pseudonym key: the warehouse's own, pinned by a fingerprint, and readable by no reader.

Every test makes its own database; the conftest points ``FANGPIN_SECRETS_DIR`` at a folder of
the test session, so generated keys land there.
"""

from __future__ import annotations

import secrets
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from fangpin.pipeline.setup import ensure_warehouse
from fangpin.transform.dbt import dbt_build, run_dbt
from fangpin.warehouse import pseudonym_key as pk
from fangpin.warehouse.connection import dbt_env, with_pseudonym_key

#: The development key that shipped as the default before the warehouse had its own.
OLD_DEVELOPMENT_KEY = "fangpin-development-key-not-for-production"


@pytest.fixture
def no_configured_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FANGPIN_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("FANGPIN_PSEUDONYM_KEY_FILE", raising=False)


@pytest.fixture
def fresh_warehouse(empty_db: str, no_configured_key: None) -> str:
    """A warehouse set up as the README says: no key configured."""
    ensure_warehouse(empty_db)
    return empty_db


def test_the_key_rides_in_libpq_options_with_spaces_escaped() -> None:
    options = with_pseudonym_key("-c x=1", "a secret with spaces")
    assert options.startswith("-c x=1 ")
    assert options.endswith(r"-c fangpin.pseudonym_key=a\ secret\ with\ spaces")


def test_a_warehouse_without_a_configured_key_generates_its_own(fresh_warehouse: str) -> None:
    recorded = pk.recorded_key(fresh_warehouse)
    assert recorded is not None and recorded.source == "generated"
    path = recorded.key_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    key = pk.pseudonym_key(fresh_warehouse)
    assert len(key) >= 43 and key == path.read_text().strip()  # 256 random bits, urlsafe
    assert recorded.fingerprint == pk.fingerprint(key) and key not in recorded.fingerprint
    with psycopg.connect(fresh_warehouse) as conn:  # the key itself is nowhere in the database
        dump = conn.execute("select row_to_json(k)::text from ops.pseudonym_key k").fetchone()[0]
        assert key not in dump
    ensure_warehouse(fresh_warehouse)  # every run sets up again: the key stays
    assert pk.recorded_key(fresh_warehouse) == recorded
    assert pk.pseudonym_key(fresh_warehouse) == key


def test_two_warehouses_never_share_a_generated_key(
    fresh_warehouse: str, warehouse_db: str
) -> None:
    first, second = pk.recorded_key(fresh_warehouse), pk.recorded_key(warehouse_db)
    assert first.warehouse_id != second.warehouse_id
    assert first.key_file != second.key_file
    assert pk.pseudonym_key(fresh_warehouse) != pk.pseudonym_key(warehouse_db)


def test_a_configured_key_is_used_as_it_is(empty_db: str, monkeypatch) -> None:
    key = secrets.token_hex(32)
    monkeypatch.setenv("FANGPIN_PSEUDONYM_KEY", key)
    ensure_warehouse(empty_db)
    recorded = pk.recorded_key(empty_db)
    assert recorded.source == "configured" and recorded.fingerprint == pk.fingerprint(key)
    assert not recorded.key_file.exists(), "a configured key is not copied to disk"
    assert pk.pseudonym_key(empty_db) == key
    assert dbt_env(empty_db)["PGOPTIONS"].endswith(f"-c fangpin.pseudonym_key={key}")
    # A worker without it is told to get the same key, not given another one.
    monkeypatch.delenv("FANGPIN_PSEUDONYM_KEY")
    with pytest.raises(pk.KeyMissing, match="same FANGPIN_PSEUDONYM_KEY"):
        pk.ensure_key_matches(empty_db)


def test_a_key_from_a_file_is_used_as_it_is(empty_db: str, tmp_path: Path, monkeypatch) -> None:
    key = secrets.token_urlsafe(40)
    (tmp_path / "key").write_text(key + "\n")
    monkeypatch.delenv("FANGPIN_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("FANGPIN_PSEUDONYM_KEY_FILE", str(tmp_path / "key"))
    ensure_warehouse(empty_db)
    assert pk.pseudonym_key(empty_db) == key


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("short-key", "at least 32"),
        (OLD_DEVELOPMENT_KEY, "appears in the project's own file"),
        ("select * from marts.mart_county_scorecard", "appears in the project's own file"),
    ],
)
def test_a_short_or_published_key_is_refused_before_anything_is_set_up(
    empty_db: str, monkeypatch, key: str, says: str
) -> None:
    monkeypatch.setenv("FANGPIN_PSEUDONYM_KEY", key)
    with pytest.raises(pk.WeakKey, match=says) as refusal:
        ensure_warehouse(empty_db)
    assert "Unset it" in str(refusal.value) and key not in str(refusal.value)
    assert pk.recorded_key(empty_db) is None


def test_the_old_development_key_is_no_longer_a_default(no_configured_key: None) -> None:
    from fangpin import config

    assert config.configured_pseudonym_key() is None
    source = (Path(config.__file__)).read_text()
    assert OLD_DEVELOPMENT_KEY not in source


def test_a_worker_with_another_key_fails_every_stage_before_it_writes_a_row(
    fresh_warehouse: str, tmp_path: Path, monkeypatch
) -> None:
    from fangpin.pipeline import monthly
    from fangpin.synth import write_province

    landing = tmp_path / "landing"
    write_province(landing, households=20, months=[date(2021, 1, 1)], seed=5)
    monkeypatch.setenv("FANGPIN_PSEUDONYM_KEY", secrets.token_urlsafe(32))
    month = date(2021, 1, 1)
    steps = {
        "prepare": lambda: monthly.prepare(fresh_warehouse, landing, month, "r1"),
        "load:registry_members": lambda: monthly.load(
            fresh_warehouse, landing, month, "registry_members", "r1"
        ),
        "transform": lambda: monthly.transform(fresh_warehouse, month, "r1"),
        "audit": lambda: monthly.audit(fresh_warehouse, month, "r1"),
        "publish": lambda: monthly.publish(fresh_warehouse, month, "r1"),
    }
    for step in steps.values():
        with pytest.raises(pk.KeyMismatch, match="not the key this warehouse"):
            step()
    with psycopg.connect(fresh_warehouse) as conn:
        assert conn.execute("select count(*) from ops.load_history").fetchone()[0] == 0
        assert conn.execute("select count(*) from raw.registry_members").fetchone()[0] == 0
        assert conn.execute("select count(*) from ops.publish_log").fetchone()[0] == 0
        assert conn.execute("select count(*) from ops.audit_result").fetchone()[0] == 0
        assert conn.execute("select to_regnamespace('marts_build')").fetchone()[0] is None
        failed = dict(conn.execute(
            "select stage, detail from ops.run_log where status = 'failed'"
        ).fetchall())
    assert set(failed) == set(steps), "each refusal is in ops.run_log for `fangpin status`"
    assert all(detail.startswith("KeyMismatch: ") for detail in failed.values())
    # dbt itself refuses the wrong key too, whoever calls it.
    with pytest.raises(pk.KeyMismatch):
        dbt_build(fresh_warehouse, month)


def test_a_lost_key_file_stops_the_pipeline_and_says_where_it_was(fresh_warehouse: str) -> None:
    path = pk.recorded_key(fresh_warehouse).key_file
    saved = path.read_bytes()
    path.unlink()
    try:
        with pytest.raises(pk.KeyMissing, match=str(path)):
            pk.ensure_key_matches(fresh_warehouse)
    finally:
        path.write_bytes(saved)
        path.chmod(0o600)
    pk.ensure_key_matches(fresh_warehouse)


def test_a_warehouse_built_before_keys_were_recorded_is_not_given_a_new_key(
    empty_db: str, no_configured_key: None, monkeypatch
) -> None:
    with psycopg.connect(empty_db) as conn:  # what an old build left: history, no record
        conn.execute("create schema intermediate")
        conn.execute("create table intermediate.int_household_month (head_person_key text)")
    with pytest.raises(pk.KeyMissing, match="Set FANGPIN_PSEUDONYM_KEY to the key it was built"):
        ensure_warehouse(empty_db)
    assert pk.recorded_key(empty_db) is None
    key = secrets.token_urlsafe(32)
    monkeypatch.setenv("FANGPIN_PSEUDONYM_KEY", key)
    ensure_warehouse(empty_db)
    assert pk.recorded_key(empty_db).fingerprint == pk.fingerprint(key)


@pytest.mark.slow  # dbt compiles the project
def test_the_key_is_used_by_the_server_but_never_written_into_dbt_files(
    fresh_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = pk.pseudonym_key(fresh_warehouse)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    result = run_dbt(fresh_warehouse, ["--debug", "compile", "--select", "int_member_month"])
    assert key not in result.output
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sql" for p in written), "dbt compiled nothing"
    assert any(p.name == "dbt.log" for p in written), "dbt wrote no log"
    for path in written:
        assert key not in path.read_text(errors="ignore"), f"key written into {path}"
        assert "pseudonym_key=" not in path.read_text(errors="ignore"), f"PGOPTIONS in {path}"
    options = dbt_env(fresh_warehouse)["PGOPTIONS"]
    with psycopg.connect(fresh_warehouse, options=options) as conn:
        digest = conn.execute(
            "select encode(hmac('142701198001011234', current_setting('fangpin.pseudonym_key'),"
            " 'sha256'), 'hex')"
        ).fetchone()[0]
        expected = conn.execute(
            "select encode(hmac('142701198001011234', %s, 'sha256'), 'hex')", (key,)
        ).fetchone()[0]
    assert digest == expected


# --- nothing a reader can call shows the key ----------------------------------------------


@pytest.fixture
def reader_logins(fresh_warehouse: str) -> Iterator[dict[str, str]]:
    """Real LOGIN users with passwords, one per kind of reader, dropped afterwards."""
    from fangpin.warehouse.logins import create_login

    tag = secrets.token_hex(4)
    roles = {"evaluator": "evaluator", "bi_reader": "bi_reader", "field": "field_team_1401"}
    logins = {kind: create_login(fresh_warehouse, role, f"t_{kind}_{tag}")
              for kind, role in roles.items()}
    yield {kind: f"{login.conninfo} password={login.password()}"
           for kind, login in logins.items()}
    with psycopg.connect(fresh_warehouse, autocommit=True) as conn:
        for login in logins.values():
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(login.name)))
            login.passfile.unlink()


SERVER_FILE_READS = (
    "select pg_read_file('postgresql.conf')",
    "select pg_read_file('pg_hba.conf')",
    "select pg_read_binary_file('postgresql.auto.conf')",
    "select * from pg_ls_logdir()",
    "select * from pg_ls_dir('.')",
    "select pg_current_logfile()",
    "select * from pg_stat_file('postgresql.conf')",
    "select * from pg_file_settings",
    "select * from pg_hba_file_rules",
    "select * from ops.pseudonym_key",
    "select * from ops.run_log",
)


def test_no_reader_can_read_the_key_from_the_server(
    fresh_warehouse: str, reader_logins: dict[str, str]
) -> None:
    key = pk.pseudonym_key(fresh_warehouse)
    options = dbt_env(fresh_warehouse)["PGOPTIONS"]
    # A pipeline session holding the key is open while the readers look (as during a build).
    with psycopg.connect(fresh_warehouse, options=options) as pipeline:
        pipeline.execute("select current_setting('fangpin.pseudonym_key')")
        for kind, dsn in reader_logins.items():
            with psycopg.connect(dsn, autocommit=True) as conn:
                seen = conn.execute(
                    "select current_setting('fangpin.pseudonym_key', true)"
                ).fetchone()[0]
                assert seen is None, kind
                settings = conn.execute(
                    "select string_agg(name || '=' || coalesce(setting, ''), ' ') from pg_settings"
                ).fetchone()[0]
                assert key not in settings and "fangpin.pseudonym_key" not in settings, kind
                activity = conn.execute(
                    "select string_agg(row_to_json(a)::text, ' ') from pg_stat_activity a"
                ).fetchone()[0]
                assert key not in activity, kind
                for statement in SERVER_FILE_READS:
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        conn.execute(statement)
                conn.execute("create temporary table log_lines (line text)")
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute("copy log_lines from 'postgresql.conf'")
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute("select lo_import('postgresql.conf')")
