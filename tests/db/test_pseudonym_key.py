"""The pseudonym key reaches the server as a session setting, never dbt's files on disk."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from fangpin.transform.dbt import run_dbt
from fangpin.warehouse.connection import dbt_env


def test_dbt_sessions_carry_the_key_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("FANGPIN_PSEUDONYM_KEY", "a secret with spaces")
    options = dbt_env("postgresql://postgres@127.0.0.1:5432/x")["PGOPTIONS"]
    assert options.endswith(r"-c fangpin.pseudonym_key=a\ secret\ with\ spaces")


def test_the_key_is_used_by_the_server_but_never_written_into_compiled_sql(
    warehouse_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "k3y-that-must-not-leak"
    monkeypatch.setenv("FANGPIN_PSEUDONYM_KEY", secret)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    run_dbt(warehouse_db, ["compile", "--select", "int_member_month"])
    compiled = list((tmp_path / "target").rglob("*.sql"))
    assert compiled, "dbt compiled nothing"
    for path in compiled:
        assert secret not in path.read_text(), f"key written into {path}"
    with psycopg.connect(warehouse_db, options=dbt_env(warehouse_db)["PGOPTIONS"]) as conn:
        digest = conn.execute(
            "select encode(hmac('142701198001011234', current_setting('fangpin.pseudonym_key'),"
            " 'sha256'), 'hex')"
        ).fetchone()[0]
        expected = conn.execute(
            "select encode(hmac('142701198001011234', %s, 'sha256'), 'hex')", (secret,)
        ).fetchone()[0]
    assert digest == expected
