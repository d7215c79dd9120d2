"""The raw tables generated from the contracts are the raw layer dbt staging reads."""

from __future__ import annotations

import psycopg
import pytest

from fangpin.feeds.contracts import FEEDS
from fangpin.load.raw_tables import ensure_raw_tables, raw_columns

META = [
    ("_load_id", "bigint"), ("_snapshot_month", "date"), ("_source_file", "text"),
    ("_source_line", "bigint"),
]
T, D, B, N, INT = "text", "date", "boolean", "numeric(14,2)", "integer"

# The raw layer as it was agreed in the hand-written 003_raw.sql (now generated): dbt staging
# is written against exactly these names and types, so a change here is a breaking change.
AGREED = {
    "registry_households": [
        ("household_id", T), ("county_code", T), ("village_code", T), ("head_id_number", T),
        ("household_type", T), ("monitoring_type", T), ("monitoring_status", T),
        ("identified_on", D), ("eliminated_on", D), ("risk_causes", T),
        ("per_capita_net_income", N), ("relocated", B),
    ],
    "registry_members": [
        ("household_id", T), ("id_number", T), ("name", T), ("relation", T),
        ("labour_capacity", T), ("health", T),
    ],
    "education": [
        ("id_number", T), ("name", T), ("school_code", T), ("school_name", T), ("stage", T),
        ("status", T), ("status_date", D), ("subsidy_yuan", N),
    ],
    "medical": [
        ("id_number", T), ("name", T), ("coverage_year", INT), ("scheme", T),
        ("enrollment_status", T), ("chronic_outpatient", B), ("total_expense_yuan", N),
        ("reimbursed_yuan", N), ("out_of_pocket_yuan", N),
    ],
    "housing": [
        ("village_code", T), ("householder_id_number", T), ("appraisal_date", D),
        ("safety_grade", T), ("disaster_damaged", B), ("rectification_status", T),
        ("rectified_on", D),
    ],
    "water": [
        ("village_code", T), ("project_id", T), ("supply_mode", T), ("quantity_ok", B),
        ("quality_ok", B), ("convenience_ok", B), ("reliability_ok", B), ("hidden_danger", B),
        ("rectification_status", T), ("inspected_on", D),
    ],
    "employment": [
        ("id_number", T), ("name", T), ("employment_status", T), ("work_location", T),
        ("months_employed", INT), ("monthly_income_yuan", N),
    ],
    "social_assistance": [
        ("id_number", T), ("name", T), ("assistance_type", T), ("monthly_amount_yuan", N),
        ("start_on", D), ("end_on", D),
    ],
}


def table_columns(conn: psycopg.Connection, table: str) -> list[tuple[str, str, bool]]:
    return conn.execute(
        """
        select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
        from pg_attribute a
        where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped
        order by a.attnum
        """,
        (f"raw.{table}",),
    ).fetchall()


def test_every_feed_has_a_raw_table_with_exactly_the_agreed_columns(warehouse_db: str):
    assert set(AGREED) == set(FEEDS)
    with psycopg.connect(warehouse_db) as conn:
        for feed in FEEDS:
            found = table_columns(conn, feed)
            assert [(n, t) for n, t, _ in found] == META + AGREED[feed], feed
            assert [n for n, _, notnull in found if notnull] == [n for n, _ in META]


def test_the_generated_tables_match_the_declared_contracts(warehouse_db: str):
    with psycopg.connect(warehouse_db) as conn:
        for contract in FEEDS.values():
            found = [(n, t) for n, t, _ in table_columns(conn, contract.name)]
            expected = [(n, t.replace(" not null", "")) for n, t in raw_columns(contract)]
            assert found == expected, contract.name


def test_ensure_raw_tables_is_idempotent_and_adds_new_contract_columns(
    warehouse_db: str, monkeypatch: pytest.MonkeyPatch
):
    import dataclasses

    from fangpin.feeds import contracts
    from fangpin.feeds.contracts import Column, Kind

    water = contracts.FEEDS["water"]
    grown = dataclasses.replace(
        water, columns=(*water.columns, Column("operator", "管护主体", Kind.TEXT))
    )
    monkeypatch.setitem(contracts.FEEDS, "water", grown)
    with psycopg.connect(warehouse_db) as conn:
        ensure_raw_tables(conn)
        ensure_raw_tables(conn)
        names = [n for n, _, _ in table_columns(conn, "water")]
    assert names[-1] == "operator"
