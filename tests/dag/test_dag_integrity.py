"""The DAG folder parses cleanly and fangpin_monthly is wired the way the brief says."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_the_dag_folder_imports_without_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert "fangpin_monthly" in dagbag.dag_ids


def test_monthly_runs_load_then_transform_then_audit_then_publish(dagbag) -> None:
    dag = dagbag.dags["fangpin_monthly"]
    order = {t.task_id: {d.task_id for d in t.downstream_list} for t in dag.tasks}
    assert order["prepare"] == {"load", "wait_for_earlier_month"}
    assert order["wait_for_earlier_month"] == {"transform"}
    assert order["wait_for_registry"] == {"prepare"}
    assert order["load"] == {"transform"}
    assert order["transform"] == {"audit"}
    assert order["audit"] == {"publish"}
    assert order["publish"] == set()


def test_monthly_takes_month_and_landing_params_and_retries(dagbag) -> None:
    dag = dagbag.dags["fangpin_monthly"]
    assert {"month", "landing"} <= set(dag.params.keys())
    assert dag.max_active_runs >= 2, "a waiting scheduled run must not hold manual runs"
    assert dag.get_task("load").retries >= 1
    assert dag.get_task("wait_for_registry").mode == "reschedule"


def test_dag_files_import_nothing_heavy_at_top_level() -> None:
    heavy = {"pandas", "great_expectations", "dbt", "psycopg", "fangpin", "sqlalchemy"}
    for path in DAGS.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            names = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            assert not set(names) & heavy, f"{path.name} imports {names} at module level"


def test_parsing_the_dag_folder_is_quick() -> None:
    """Parsing happens every few seconds in the DAG processor: it must stay cheap."""
    from airflow.dag_processing.dagbag import DagBag

    started = time.perf_counter()
    DagBag(dag_folder=str(DAGS))
    elapsed = time.perf_counter() - started
    print(f"DAG folder parsed in {elapsed:.2f}s")
    assert elapsed < 10


def test_the_dag_ships_paused_and_never_catches_up(dagbag) -> None:
    dag = dagbag.dags["fangpin_monthly"]
    assert dag.is_paused_upon_creation is True
    assert dag.catchup is False


def test_building_steps_share_a_one_slot_pool_and_finish_a_build_before_the_next(dagbag) -> None:
    """publish > audit > transform: when the slot frees, the run that has built goes on."""
    dag = dagbag.dags["fangpin_monthly"]
    steps = [dag.get_task(t) for t in ("transform", "audit", "publish")]
    assert {t.pool for t in steps} == {"fangpin_build"}
    weights = [t.priority_weight for t in steps]
    assert weights == sorted(weights) and len(set(weights)) == 3
    assert {str(t.weight_rule).lower().rsplit(".", 1)[-1] for t in steps} == {"absolute"}
    assert dag.get_task("audit").retries == 0


def test_publish_updates_the_marts_asset_and_failures_notify(dagbag) -> None:
    dag = dagbag.dags["fangpin_monthly"]
    outlets = dag.get_task("publish").outlets
    assert [a.name for a in outlets] == ["fangpin_marts"]
    for task in dag.tasks:
        assert task.on_failure_callback, task.task_id


def test_the_sensor_takes_its_poke_interval_and_timeout_from_params(dagbag) -> None:
    dag = dagbag.dags["fangpin_monthly"]
    assert {"poke_interval_seconds", "wait_timeout_hours"} <= set(dag.params.keys())
    sensor = dag.get_task("wait_for_registry")
    assert sensor.retries == 0

    from types import SimpleNamespace

    target = SimpleNamespace(poke_interval=600.0, timeout=864000.0)
    params = {"poke_interval_seconds": 30, "wait_timeout_hours": 0.5}
    sensor._pre_execute_hook({"params": params, "task": target})
    assert (target.poke_interval, target.timeout) == (30.0, 1800.0)
