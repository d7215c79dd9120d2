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
    assert order["prepare"] == {"load"}
    assert order["wait_for_registry"] == {"prepare"}
    assert order["load"] == {"transform"}
    assert order["transform"] == {"audit"}
    assert order["audit"] == {"publish"}
    assert order["publish"] == set()


def test_monthly_takes_month_and_landing_params_and_retries(dagbag) -> None:
    dag = dagbag.dags["fangpin_monthly"]
    assert {"month", "landing"} <= set(dag.params.keys())
    assert dag.max_active_runs == 1
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
