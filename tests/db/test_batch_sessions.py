"""The pipeline's batch sessions (dbt, the audit) ask for their own work_mem, nobody else's."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, text

from fangpin.audit.gx_project import audit_url
from fangpin.warehouse.connection import dbt_env


def _show_work_mem(url: str, options: str) -> str:
    with psycopg.connect(url, options=options) as conn:
        return conn.execute("show work_mem").fetchone()[0]


def test_dbt_sessions_get_the_batch_work_mem(
    warehouse_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FANGPIN_WORK_MEM", "96MB")
    assert _show_work_mem(warehouse_db, dbt_env(warehouse_db)["PGOPTIONS"]) == "96MB"
    with psycopg.connect(warehouse_db) as conn:  # anyone else keeps the server's setting
        assert conn.execute("show work_mem").fetchone()[0] != "96MB"


def test_an_empty_setting_leaves_the_servers_own(
    warehouse_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(warehouse_db) as conn:
        server = conn.execute("show work_mem").fetchone()[0]
    monkeypatch.setenv("FANGPIN_WORK_MEM", "")
    assert _show_work_mem(warehouse_db, dbt_env(warehouse_db)["PGOPTIONS"]) == server


def test_the_audits_great_expectations_sessions_get_it_too(
    warehouse_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FANGPIN_WORK_MEM", "80MB")
    engine = create_engine(audit_url(warehouse_db, "marts_build"))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("show work_mem")).scalar() == "80MB"
            assert conn.execute(text("show search_path")).scalar() == "marts_build,audit_batch"
    finally:
        engine.dispose()
