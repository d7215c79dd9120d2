"""A refused audit or publish fails its task at once: the DAG maps it to AirflowFailException.

Airflow retried an identical ``PublishRefused`` three times before; the same build and audit
give the same refusal, so a retry only delays the message.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

DAG_FILE = Path(__file__).resolve().parents[2] / "dags" / "fangpin_monthly.py"


def _dag_module():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("fangpin_monthly_for_test", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.mark.parametrize("refusal", ["publish", "stage"])
def test_a_refusal_fails_the_task_without_retries(refusal: str) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from fangpin.pipeline.monthly import StageFailed
    from fangpin.publish import PublishRefused

    error = PublishRefused("2021-03: publish refused: x") if refusal == "publish" else (
        StageFailed("2021-03: audit refused the publish"))

    def step() -> None:
        raise error

    with pytest.raises(AirflowFailException, match="2021-03"):
        _dag_module()._no_retry(step)


def test_the_publish_task_goes_through_the_no_retry_mapping(warehouse_db: str) -> None:
    """The publish task runs its step through ``_building`` (writer lock, then ``_no_retry``):
    a refusal raised there ends the task for good."""
    from datetime import date

    from airflow.sdk.exceptions import AirflowFailException

    from fangpin.publish import PublishRefused

    source = " ".join(DAG_FILE.read_text(encoding="utf-8").split())  # line breaks don't matter
    assert "_building(publish_build, url, month, run_id, check_stamp=True)" in source

    def refused(url: str, month: date, run_id: str) -> None:
        raise PublishRefused(f"{month:%Y-%m}: publish refused: x")

    with pytest.raises(AirflowFailException, match="2021-03: publish refused"):
        _dag_module()._building(refused, warehouse_db, date(2021, 3, 1), "r", check_stamp=False)
