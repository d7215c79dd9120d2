"""One LocalExecutor deployment (api-server, scheduler, dag-processor, triggerer as processes).

In order, on one warehouse, as an operator would meet them:

1. a fresh deployment ships the DAG paused; unpausing it creates the latest scheduled run,
   whose landing area is not mounted: it fails at once naming the path (no ten-day sensor),
   tells the SMTP sink, and does not keep a manual run waiting;
2. a month triggered through the REST API with ``{"month", "landing"}`` publishes;
3. a manual run without ``month`` builds the landing area's latest month with a registry;
4. clearing a whole published run re-runs it and publishes again;
5. ``airflow backfill create`` of three months with ``--max-active-runs 3`` builds them one at a
   time, in order, and ends with the marts of a ``fangpin run`` over the same months.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from .conftest import DAG_ID, Deployment, fangpin_run_reference, marts_snapshot

pytestmark = [pytest.mark.deploy, pytest.mark.slow]


class Sink:
    """A local SMTP server (aiosmtpd) collecting what the notifier sends."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        from fangpin.orchestration.airflow_env import free_port

        self.messages: list[str] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
                sink.messages.append(envelope.content.decode("utf8", errors="replace"))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture(scope="module")
def smtp() -> Sink:
    sink = Sink()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def local(make_deployment, smtp: Sink, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    not_mounted = tmp_path_factory.mktemp("nothing") / "not-mounted"
    deployment = make_deployment(
        "LocalExecutor",
        landing=str(not_mounted),
        notify_email_to="ops@fangpin.test",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        extra_env={"FANGPIN_TASK_RETRIES": "1"},
    )
    started = time.perf_counter()
    deployment.start_components()
    deployment.wait_ready()
    deployment.timings = {"start": round(time.perf_counter() - started, 1)}  # type: ignore[attr-defined]
    return deployment


@pytest.fixture(scope="module")
def reference(server_url: str, province: Path, tmp_path_factory: pytest.TempPathFactory):
    """``fangpin run`` over the province, in a thread while the deployment works."""
    result: dict = {}

    def run() -> None:
        try:
            result["value"] = fangpin_run_reference(
                server_url, province, tmp_path_factory.mktemp("ref-airflow-home"))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test that needs it
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield thread, result
    thread.join(timeout=900)
    if "value" in result:
        from fangpin.orchestration.airflow_env import metadata_url
        from fangpin.warehouse.connection import drop_database

        drop_database(result["value"][0])
        drop_database(metadata_url(result["value"][0]))


def _one_month(province: Path, tmp: Path, month: str) -> Path:
    landing = tmp / f"only-{month}"
    shutil.copytree(province / month, landing / month)
    return landing


def test_the_dag_ships_paused_and_its_first_scheduled_run_fails_at_once(
    local: Deployment, smtp: Sink, province: Path, tmp_path: Path
) -> None:
    assert local.dag()["is_paused"] is True
    assert local.runs() == [], "a paused DAG creates no run"
    local.unpause()
    scheduled = local.wait_until(
        "the first scheduled run",
        lambda: [r for r in local.runs() if r["run_type"] == "scheduled"], 120)[0]
    # A manual run triggered now is not held behind it.
    manual = local.trigger({"month": "2021-01", "landing": str(_one_month(province, tmp_path,
                                                                             "2021-01"))})
    started = time.perf_counter()
    assert local.wait_for_run(scheduled["dag_run_id"], timeout=180) == "failed"
    failed_after = time.perf_counter() - started
    tis = {t["task_id"]: t for t in local.task_instances(scheduled["dag_run_id"])}
    assert tis["wait_for_registry"]["state"] == "failed"
    assert tis["wait_for_registry"]["try_number"] == 1, "a missing landing is not retried"
    log = local.task_log(scheduled["dag_run_id"], "wait_for_registry")
    assert "not-mounted" in log and "does not exist" in log, log[-2000:]
    assert failed_after < 120
    for noise in ("determine_kwargs", "InsecureKeyLengthWarning"):
        assert noise not in log, noise
        assert noise not in local.output("api-server", 10_000), noise
    local.wait_until("the notifier's e-mail", lambda: smtp.messages, 60)
    assert any("wait_for_registry" in m and "FAILED" in m for m in smtp.messages)
    # the manual month was not blocked: it publishes
    assert local.wait_for_run(manual, timeout=400) == "success", local.diagnostics()
    assert local.query("select distinct month::text from marts.fct_household_month") == [
        ("2021-01-01",)]
    local.first_manual = manual  # type: ignore[attr-defined]


def test_a_manual_run_without_month_builds_the_latest_month_with_a_registry(
    local: Deployment, province: Path, tmp_path: Path
) -> None:
    landing = _one_month(province, tmp_path, "2021-02")
    (landing / "2021-05" / "education").mkdir(parents=True)  # no registry: not a candidate
    run_id = local.trigger({"landing": str(landing)})
    assert local.wait_for_run(run_id) == "success", local.diagnostics()
    log = local.task_log(run_id, "prepare")
    assert "no `month` param: building 2021-02" in log, log[-3000:]
    months = local.query("select distinct month::text from marts.fct_household_month order by 1")
    assert months == [("2021-01-01",), ("2021-02-01",)]


def test_a_manual_run_whose_landing_has_no_month_fails_naming_the_param(
    local: Deployment, tmp_path: Path
) -> None:
    run_id = local.trigger({"landing": str(tmp_path)})
    assert local.wait_for_run(run_id, timeout=180) == "failed"
    tis = {t["task_id"]: t for t in local.task_instances(run_id)}
    assert tis["wait_for_registry"]["try_number"] == 1
    assert "no `month` param" in local.task_log(run_id, "wait_for_registry")


def test_clearing_a_published_run_runs_it_again_and_publishes(local: Deployment) -> None:
    run_id = local.first_manual  # type: ignore[attr-defined]
    before = local.query("select count(*) from ops.publish_log where run_id = %s "
                         "and status = 'published'", run_id)[0][0]
    response = local.api("POST", f"{local.run_path(run_id)}/clear",
                         json={"dry_run": False})
    assert response.status_code == 200, response.text
    local.wait_until("the cleared run to start",
                     lambda: local.run_state(run_id) in ("queued", "running"), 60, every=1)
    state = local.wait_for_run(run_id)
    tis = {t["task_id"]: t for t in local.task_instances(run_id)}
    if state != "success" and tis["publish"]["state"] == "failed":
        assert tis["publish"]["try_number"] == 2, "a refused publish is not retried"
    assert state == "success", local.diagnostics()
    after = local.query("select count(*) from ops.publish_log where run_id = %s "
                        "and status = 'published'", run_id)[0][0]
    assert after == before + 1


def test_a_backfill_builds_months_one_at_a_time_in_order_and_equals_fangpin_run(
    local: Deployment, province: Path, reference
) -> None:
    proc = local.airflow_cli(
        "backfill", "create", "--dag-id", DAG_ID, "--from-date", "2021-02-01",
        "--to-date", "2021-04-07", "--max-active-runs", "3",
        "--reprocess-behavior", "completed",
        "--dag-run-conf", f'{{"landing": "{province}"}}',
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    started = time.perf_counter()

    def backfill_runs() -> list[dict]:
        return [r for r in local.runs() if r["run_type"] == "backfill"]

    runs = local.wait_until("three backfill runs", lambda: len(backfill_runs()) == 3 and
                            backfill_runs(), 60)
    for run in sorted(runs, key=lambda r: r["logical_date"]):
        assert local.wait_for_run(run["dag_run_id"], timeout=600) == "success", (
            local.diagnostics())
    local.timings["backfill"] = round(time.perf_counter() - started, 1)  # type: ignore[attr-defined]
    # one build at a time, in month order: the building stages never overlap
    rows = local.query(
        "select month, stage, min(logged_at), max(logged_at) from ops.run_log "
        "where run_id like 'backfill%%' and stage in ('transform', 'audit', 'publish') "
        "group by run_id, month, stage order by 3")
    order = [(f"{m:%Y-%m}", s) for m, s, _, _ in rows]
    assert order == [(m, s) for m in ("2021-01", "2021-02", "2021-03")
                     for s in ("transform", "audit", "publish")], order
    for (_, _, _, end), (_, _, start, _) in zip(rows, rows[1:], strict=False):
        assert end <= start, "two building stages overlapped"
    published = local.query(
        "select to_char(month, 'YYYY-MM') from ops.publish_log where run_id like 'backfill%%' "
        "and status = 'published' order by publish_id")
    assert [p[0] for p in published] == ["2021-01", "2021-02", "2021-03"]
    thread, result = reference
    thread.join(timeout=900)
    if "error" in result:
        raise result["error"]
    ref_url, ref_seconds = result["value"]
    local.timings["fangpin_run_reference"] = round(ref_seconds, 1)  # type: ignore[attr-defined]
    ours, theirs = marts_snapshot(local.url), marts_snapshot(ref_url)
    assert ours.keys() == theirs.keys()
    for table in theirs:
        assert ours[table] == theirs[table], f"marts.{table} differs from fangpin run's"
    print("deploy timings:", local.timings)  # type: ignore[attr-defined]
