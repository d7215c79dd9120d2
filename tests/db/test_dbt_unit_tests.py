"""The dbt unit tests of the rules (``unit_tests:`` beside the models), run on their own.

The monthly ``dbt build`` leaves them out (``fangpin.transform.dbt.dbt_build`` passes
``--exclude-resource-type unit_test``): they check the SQL, not the month's data, so running
them once per month would only add time to every build of a back-fill. Here a fresh warehouse
gets every relation dbt needs for the fixtures' column types (seeds and models built over a
registry-only province: ``dbt build --empty`` cannot be used, the registry-in-reach guard of
``int_feed_snapshot_month`` stops an empty month and ``policy()`` relations do not take
``--empty``'s subquery), then ``dbt test --select test_type:unit`` runs them all.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import psycopg
import pytest
import yaml
from oracle import province as P

from fangpin.config import dbt_project_dir, project_root
from fangpin.transform.dbt import DbtFailed, run_dbt

# One build of every model plus two unit-test runs: about a minute (make test-fast skips it).
pytestmark = pytest.mark.slow

MONTH = date(2021, 1, 1)
REGISTRY = ("registry_households", "registry_members")
UNIT_TESTS = ("test", "--select", "test_type:unit")
#: The unit tests of the household-month model only.
HOUSEHOLD_UNIT_TESTS = ("test", "--select", "test_type:unit,int_household_month")


def declared_unit_tests(project: Path) -> dict[str, str]:
    """Every unit test the project's YAML declares: name -> model."""
    declared: dict[str, str] = {}
    for path in sorted((project / "models").rglob("*.yml")):
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", []):
            declared[test["name"]] = test["model"]
    return declared


def unit_test_results(target: Path) -> dict[str, str]:
    """name -> status of each unit test in dbt's ``run_results.json``."""
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    return {
        r["unique_id"].split(".")[-1]: r["status"]
        for r in results
        if r["unique_id"].startswith("unit_test.")
    }


@pytest.fixture(scope="module")
def unit_warehouse(module_warehouse_db: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A warehouse with every seed and model built (no data test), for the fixtures' types."""
    folder = tmp_path_factory.mktemp("dbt-unit")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_TARGET_PATH", str(folder / "target"))
        mp.setenv("DBT_LOG_PATH", str(folder / "logs"))
        with psycopg.connect(module_warehouse_db) as conn:
            P.insert_raw(conn, {feed: P.FEEDS[feed] for feed in REGISTRY})
        run_dbt(
            module_warehouse_db,
            ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"],
            month=MONTH,
        )
    return module_warehouse_db


def test_every_declared_unit_test_passes(
    unit_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    declared = declared_unit_tests(dbt_project_dir())
    # the rules the issue names each have theirs
    assert {"int_member_month", "int_household_month", "int_doubt_point_month",
            "int_problem_month", "int_county_score_month", "fct_problem",
            "mart_county_scorecard"} <= set(declared.values())

    run_dbt(unit_warehouse, list(UNIT_TESTS), month=MONTH)

    results = unit_test_results(tmp_path / "target")
    assert set(results) == set(declared)
    assert {name for name, status in results.items() if status != "pass"} == set()


def _broken_copy(tmp_path: Path) -> Path:
    """A copy of the project whose INCOME_LOW rule takes income *at* the threshold as low."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(project_root() / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(
        dbt_project_dir(), root / "dbt_project",
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"),
    )
    model = root / "dbt_project" / "models" / "intermediate" / "history" / "int_household_month.sql"
    rule = "coalesce(per_capita_net_income < monitoring_threshold_yuan, false) as sig_income_low"
    sql = model.read_text(encoding="utf-8")
    assert rule in sql
    model.write_text(sql.replace(rule, rule.replace(" < ", " <= ")), encoding="utf-8")
    return root


def test_a_broken_threshold_fails_its_unit_test(
    unit_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FANGPIN_HOME", str(_broken_copy(tmp_path)))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))

    with pytest.raises(DbtFailed, match="household_income_and_medical_burden_at_their_thresholds"):
        run_dbt(unit_warehouse, list(HOUSEHOLD_UNIT_TESTS), month=MONTH)

    results = unit_test_results(tmp_path / "target")
    assert results["household_income_and_medical_burden_at_their_thresholds"] == "fail"
    # ELIMINATED_BELOW_LINE reads INCOME_LOW: its boundary case (income 6000) fails too; the
    # model's other tests hold no income at the threshold
    assert {n for n, s in results.items() if s != "pass"} == {
        "household_income_and_medical_burden_at_their_thresholds",
        "household_doubt_points_at_their_boundaries",
    }
    assert len(results) == 4
