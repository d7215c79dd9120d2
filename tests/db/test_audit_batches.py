"""How the audit holds a month (``fangpin.audit.batches``) and what GX runs for a query check.

The hand-made province of ``audit_province``: raw tables, staging views over them, marts in
``marts_build``. A table's month is a view of it, a view's month an analysed copy; the GX
patch (``gx_project``) leaves a query check's rows out of its BOOLEAN_ONLY pass only.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from audit_province import FEB, MAR, build_province, copy_gx_project

from fangpin.audit import batches, run_audit
from fangpin.audit.run import _Catalog
from fangpin.audit.suites import all_suites

pytestmark = pytest.mark.slow

SUITES = {spec.name: spec for spec in all_suites()}


@pytest.fixture
def province(warehouse_db: str) -> str:
    build_province(warehouse_db)
    return warehouse_db


def _relkind(conn: psycopg.Connection, name: str) -> str | None:
    row = conn.execute(
        "select relkind::text from pg_class where oid = to_regclass(%s)", (name,)
    ).fetchone()
    return row[0] if row else None


def test_a_tables_month_is_a_view_and_a_views_month_an_analysed_copy(province: str):
    raw, staging = SUITES["raw.registry_members"], SUITES["staging.registry_members"]
    with psycopg.connect(province, autocommit=True) as conn, batches.batch_schema(conn):
        catalog = _Catalog(conn, "marts_build")
        raw_table, _ = catalog.resolve(raw)
        view, _ = catalog.resolve(staging)
        assert raw_table is not None and view is not None
        assert not catalog.copied(raw, raw_table) and catalog.copied(staging, view)

        raw_rows = batches.copy_month(conn, raw, "raw", raw_table, MAR, copy=False)
        staged_rows = batches.copy_month(conn, staging, "staging", view, MAR, copy=True)
        expected = conn.execute(
            "select count(*) from raw.registry_members where _snapshot_month = %s", (MAR,)
        ).fetchone()[0]
        assert raw_rows == staged_rows == expected > 0
        assert _relkind(conn, "audit_batch.raw__registry_members") == "v"
        assert _relkind(conn, "audit_batch.staging__registry_members") == "r"
        # The view holds March only, the copy was analysed, and the session's target is back.
        assert conn.execute(
            "select array_agg(distinct _snapshot_month) from audit_batch.raw__registry_members"
        ).fetchone()[0] == [MAR]
        assert conn.execute(
            "select count(*) from pg_stats where schemaname = 'audit_batch'"
            " and tablename = 'staging__registry_members'"
        ).fetchone()[0] > 0
        assert conn.execute("show default_statistics_target").fetchone()[0] == "100"

        batches.drop_copy(conn, raw, copy=False)
        batches.drop_copy(conn, staging, copy=True)
        assert _relkind(conn, "audit_batch.raw__registry_members") is None
        assert _relkind(conn, "audit_batch.staging__registry_members") is None


def test_the_copy_is_analysed_at_a_low_statistics_target(warehouse_db: str):
    """1000 distinct values: a histogram of at most 11 bounds at target 10 (101 at 100)."""
    spec = SUITES["staging.registry_members"]
    with psycopg.connect(warehouse_db, autocommit=True) as conn:
        conn.execute("create schema src")
        conn.execute(
            "create view src.v as select date '2021-03-01' + 0 as snapshot_month, n"
            " from generate_series(1, 1000) n"
        )
        with batches.batch_schema(conn):
            assert batches.copy_month(conn, spec, "src", "v", MAR) == 1000
            bounds = conn.execute(
                "select array_length(histogram_bounds, 1) from pg_stats"
                " where schemaname = 'audit_batch' and attname = 'n'"
            ).fetchone()[0]
            assert bounds <= 11


def test_boolean_only_asks_a_query_check_for_its_count_not_its_rows():
    from great_expectations.expectations import UnexpectedRowsExpectation

    from fangpin.audit import gx_project

    assert gx_project.ROWS_PATCHED, "GX upgraded: check UnexpectedRowsExpectation again"
    check = UnexpectedRowsExpectation(unexpected_rows_query="select * from {batch} where x")

    def metrics(result_format: str) -> set[str]:
        found = check.get_validation_dependencies(
            runtime_configuration={"result_format": {"result_format": result_format}}
        )
        return set(found.get_metric_names())

    assert metrics("BOOLEAN_ONLY") == {"unexpected_rows_query.row_count"}
    assert {"unexpected_rows_query.row_count", "unexpected_rows_query.table"} <= metrics(
        "COMPLETE"
    )
    assert check._validate({"unexpected_rows_query.row_count": 0}) == {"success": True}
    assert check._validate({"unexpected_rows_query.row_count": 2}) == {"success": False}
    complete = check._validate(
        {"unexpected_rows_query.row_count": 1, "unexpected_rows_query.table": [{"x": True}]},
        runtime_configuration={"result_format": "COMPLETE"},
    )
    assert complete == {
        "success": False,
        "result": {"observed_value": 1, "details": {"unexpected_rows": [{"x": True}]}},
    }


def test_a_failing_query_check_still_samples_its_rows_and_the_month_is_february(
    province: str, tmp_path: Path
):
    """An unknown county in February, audited in February: the query check fails with its
    row (the COMPLETE pass), through the staging copy; March's audit does not see it."""
    with psycopg.connect(province) as conn:
        conn.execute(
            "update raw.registry_households set county_code = '149999'"
            " where _snapshot_month = %s and household_id = "
            "(select min(household_id) from raw.registry_households where _snapshot_month = %s)",
            (FEB, FEB),
        )
    gx_dir = copy_gx_project(tmp_path / "expectations")
    february = run_audit(province, FEB, "feb", gx_dir=gx_dir, docs=False)
    march = run_audit(province, MAR, "mar", gx_dir=gx_dir, docs=False)
    failed = {r.label: r for r in february.results if not r.passed}
    known = failed["staging.registry_households/county_code_known"]
    assert known.observed_value == "1 unexpected rows"
    assert [row.get("county_code") for row in known.sample_rows] == ["149999"]
    assert "staging.registry_households/county_code_known" not in march.blocking_failures
    labels = [r.label for r in february.results]
    assert labels == sorted(labels, key=_declared_order), "the record keeps declared order"


def _declared_order(label: str) -> int:
    names = [*SUITES, "marts.id_number_scan"]
    return names.index(label.split("/", 1)[0])
