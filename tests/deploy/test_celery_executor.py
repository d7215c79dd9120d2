"""CeleryExecutor on the machine's Redis (database 7): two workers, one killed mid-run.

The workers are started with :func:`fangpin.orchestration.airflow_env.worker_command`, the
command the compose file's worker services run (``tests/unit/test_compose.py`` checks that).
Each has its own name (the task instances' hostname) and log-server port. The heartbeat timeout
is lowered to 20 s so the scheduler gives the killed worker's task to the other one quickly.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from fangpin.orchestration.airflow_env import free_port, worker_command

from .conftest import Deployment

pytestmark = [pytest.mark.deploy, pytest.mark.slow]
REDIS_DB = 7
BROKER = f"redis://127.0.0.1:6379/{REDIS_DB}"


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(BROKER).flushdb()


@pytest.fixture(scope="module")
def celery(make_deployment, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    _flush_redis()
    deployment = make_deployment(
        "CeleryExecutor", landing=str(tmp_path_factory.mktemp("none") / "not-mounted"),
        celery_broker=BROKER, heartbeat_timeout=20,
        worker_concurrency=2, extra_env={"FANGPIN_TASK_RETRIES": "2"},
    )
    deployment.start_components()
    for name in ("worker-1", "worker-2"):
        command = worker_command(name, free_port())
        deployment.start(name, command)
    deployment.wait_ready()
    deployment.unpause()
    yield deployment
    _flush_redis()


def test_two_workers_share_a_month_and_a_killed_worker_does_not_lose_it(
    celery: Deployment, province: Path, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(province / "2021-01", landing / "2021-01")
    started = time.perf_counter()
    run_id = celery.trigger({"month": "2021-01", "landing": str(landing)})
    seen: dict[str, set[str]] = {}

    def transform_running() -> dict | None:
        for ti in celery.task_instances(run_id):
            if ti.get("hostname"):
                seen.setdefault(ti["task_id"], set()).add(ti["hostname"])
            if ti["task_id"] == "transform" and ti["state"] == "running" and ti.get("hostname"):
                return ti
        return None

    transform = celery.wait_until("transform to run on a worker", transform_running, 400, 1)
    victim = transform["hostname"]
    assert victim in ("worker-1", "worker-2"), victim
    celery.kill(victim)
    killed_at = time.perf_counter()
    state = celery.wait_for_run(run_id, timeout=600)
    assert state == "success", celery.diagnostics()
    tis = celery.task_instances(run_id)
    for ti in tis:
        seen.setdefault(ti["task_id"], set()).add(ti["hostname"])
    hosts = set().union(*seen.values())
    assert hosts == {"worker-1", "worker-2"}, seen
    final = {t["task_id"]: t for t in tis}
    survivor = ({"worker-1", "worker-2"} - {victim}).pop()
    assert final["transform"]["hostname"] == survivor
    assert final["transform"]["try_number"] >= 2
    assert final["publish"]["state"] == "success"
    marts = celery.query("select month::text, count(*), count(distinct household_id) "
                         "from marts.fct_household_month group by 1")
    assert len(marts) == 1 and marts[0][0] == "2021-01-01", marts
    assert marts[0][1] == marts[0][2] > 150, "one row per household of the 200"
    print(f"celery month: {time.perf_counter() - started:.0f}s, "
          f"recovered {time.perf_counter() - killed_at:.0f}s after the kill; hosts {seen}")
