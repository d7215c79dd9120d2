"""Real Airflow deployments for the deploy tests: every component its own process.

A :class:`Deployment` is a fresh warehouse database, a fresh Airflow metadata database and
``AIRFLOW_HOME``, Fangpin's generated configuration on free ports, and the api-server,
scheduler, dag-processor and triggerer (plus Celery workers) started as ``airflow …``
processes, each in its own process group. Teardown kills every group (TERM, then KILL) and
drops both databases, whatever the test did.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
import pytest

from fangpin.orchestration import airflow_env
from fangpin.warehouse.connection import drop_database, ensure_database, with_database

DAG_ID = "fangpin_monthly"
#: The small province the deploy suite runs on (``fangpin synth --households 600 --seed 11``;
#: with 200 households a key county is left empty, and the audit rightly refuses the month).
HOUSEHOLDS = 600
MONTHS = ("2021-01", "2021-02", "2021-03")
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")

#: Every process of a deployment gets the same configured key, as production's secret store
#: gives every worker (README "Secrets"); the reference run uses it too, so the marts compare.
DEPLOY_KEY = secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``fangpin synth --households 200 --months 2021-01..2021-03`` into a landing area."""
    out = tmp_path_factory.mktemp("deploy-landing") / "landing"
    exe = Path(sys.executable).with_name("fangpin")
    subprocess.run(
        [str(exe), "synth", "--households", str(HOUSEHOLDS), "--months", "2021-01..2021-03",
         "--seed", "11", "--messy", "0.05", "--out", str(out)],
        check=True, capture_output=True, text=True,
    )
    return out


@dataclass
class Deployment:
    url: str
    home: Path
    settings: airflow_env.Settings
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _token: str | None = None

    # --- processes ---------------------------------------------------------------------------

    def start(self, name: str, cmd: list[str], extra_env: dict[str, str] | None = None) -> None:
        log = (self.home / f"{name}.out").open("ab")
        self.processes[name] = subprocess.Popen(
            cmd, env={**self.env, **(extra_env or {})}, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, cwd=str(self.home),
        )

    def start_components(self) -> None:
        airflow = airflow_env.airflow_executable()
        for name in COMPONENTS:
            args = [airflow, name]
            if name == "api-server":
                args += ["--port", str(self.settings.port), "--workers", "1"]
            self.start(name, args)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.processes[name]
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        for name in self.processes:
            self.kill(name, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, proc in self.processes.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            self.kill(name, signal.SIGKILL)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def output(self, name: str, tail: int = 60) -> str:
        path = self.home / f"{name}.out"
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        return "\n".join(lines[-tail:])

    def diagnostics(self) -> str:
        return "\n".join(f"--- {n} ---\n{self.output(n, 25)}" for n in self.processes)

    # --- the REST API ------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return self.settings.base_url

    def token(self) -> str:
        if self._token is None:
            response = httpx.post(
                f"{self.base}/auth/token",
                json={"username": "admin", "password": airflow_env.admin_password(self.home)},
                timeout=30,
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, headers: dict | None = None,
            **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token()}", **(headers or {})}
        return httpx.request(method, f"{self.base}/api/v2{path}", headers=headers,
                             timeout=60, **kwargs)  # type: ignore[arg-type]

    def wait_until(self, what: str, check: Callable[[], object], timeout: float,
                   every: float = 2.0) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = check()
            except httpx.HTTPError:
                value = None
            if value:
                return value
            time.sleep(every)
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n"
                             + self.diagnostics())

    def wait_ready(self, timeout: float = 240) -> None:
        def healthy() -> bool:
            response = httpx.get(f"{self.base}/api/v2/monitor/health", timeout=5)
            return response.status_code == 200

        self.wait_until("the api-server", healthy, timeout)
        self.wait_until("the DAG to be parsed",
                        lambda: self.api("GET", f"/dags/{DAG_ID}").status_code == 200, timeout)

    def dag(self) -> dict:
        return self.api("GET", f"/dags/{DAG_ID}").json()

    def unpause(self) -> None:
        self.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()

    def trigger(self, conf: dict) -> str:
        response = self.api("POST", f"/dags/{DAG_ID}/dagRuns",
                            json={"logical_date": None, "conf": conf})
        assert response.status_code in (200, 201), response.text
        return response.json()["dag_run_id"]

    def runs(self) -> list[dict]:
        response = self.api("GET", f"/dags/{DAG_ID}/dagRuns", params={"limit": 100})
        response.raise_for_status()
        return response.json()["dag_runs"]

    def run_path(self, run_id: str) -> str:
        return f"/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}"

    def run_state(self, run_id: str) -> str:
        return self.api("GET", self.run_path(run_id)).json()["state"]

    def wait_for_run(self, run_id: str, timeout: float = 400) -> str:
        def finished() -> str | None:
            state = self.run_state(run_id)
            return state if state in ("success", "failed") else None

        return str(self.wait_until(f"run {run_id}", finished, timeout, every=3))

    def task_instances(self, run_id: str) -> list[dict]:
        response = self.api("GET", f"{self.run_path(run_id)}/taskInstances",
                            params={"limit": 100})
        response.raise_for_status()
        return response.json()["task_instances"]

    def task_log(self, run_id: str, task_id: str, try_number: int = 1) -> str:
        """A task's log through the REST API, one line per event (as the README reads it)."""
        response = self.api(
            "GET", f"{self.run_path(run_id)}/taskInstances/{task_id}/logs/{try_number}",
            params={"full_content": "true"}, headers={"Accept": "application/json"},
        )
        response.raise_for_status()
        content = response.json().get("content", [])
        if isinstance(content, str):
            return content
        return "\n".join(json.dumps(item) if not isinstance(item, str) else item
                         for item in content)

    def query(self, sql: str, *params: object) -> list[tuple]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, params).fetchall()

    def airflow_cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([airflow_env.airflow_executable(), *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def make_deployment(
    server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Deployment]]:
    """Build deployments for a module; all of them are torn down at its end."""
    from fangpin.pipeline.setup import ensure_warehouse

    made: list[Deployment] = []

    def make(executor: str = "LocalExecutor", extra_env: dict[str, str] | None = None,
             **overrides: object) -> Deployment:
        url = with_database(server_url, f"fangpin_dep_{uuid.uuid4().hex[:8]}")
        ensure_database(url)
        saved = dict(os.environ)
        os.environ["FANGPIN_PSEUDONYM_KEY"] = DEPLOY_KEY
        try:
            ensure_warehouse(url)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        home = tmp_path_factory.mktemp("airflow-home")
        settings = airflow_env.Settings.from_env(
            home, port=airflow_env.free_port(), executor=executor, parallelism=4, **overrides)
        saved = dict(os.environ)
        os.environ.update(extra_env or {})
        try:
            env = {**os.environ, **airflow_env.environment(url, home, settings)}
        finally:
            os.environ.clear()
            os.environ.update(saved)
        env.update({
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(airflow_env.free_port()),
            "AIRFLOW__TRIGGERER__TRIGGERER_LOG_SERVER_PORT": str(airflow_env.free_port()),
            "PYTHONUNBUFFERED": "1",
            "FANGPIN_PSEUDONYM_KEY": DEPLOY_KEY,
        })
        deployment = Deployment(url, home, settings, env)
        made.append(deployment)
        airflow_env.migrate(url, env)
        return deployment

    yield make
    for deployment in made:
        deployment.stop_all()
    for deployment in made:
        drop_database(deployment.url)
        drop_database(airflow_env.metadata_url(deployment.url))
        shutil.rmtree(deployment.home, ignore_errors=True)


def marts_snapshot(url: str) -> dict[str, list[tuple]]:
    """Every table of ``marts``, rows sorted, without the columns that name a run or a time."""
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_type = 'BASE TABLE' order by 1").fetchall()]
        snapshot = {}
        for table in tables:
            cols = [r[0] for r in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'marts'"
                " and table_name = %s and data_type not like 'timestamp%%'"
                " and column_name not like '%%run_id%%' order by ordinal_position",
                (table,)).fetchall()]
            select = ", ".join(f'"{c}"::text' for c in cols)
            rows = conn.execute(f'select {select} from marts."{table}"').fetchall()
            snapshot[table] = sorted(rows, key=lambda r: tuple("" if v is None else v for v in r))
    return snapshot


def fangpin_run_reference(server_url: str, landing: Path, home: Path) -> tuple[str, float]:
    """``fangpin run`` over the same landing in a database of its own: the reference marts."""
    url = with_database(server_url, f"fangpin_ref_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update({"WAREHOUSE_URL": url, "AIRFLOW_HOME": str(home), "FANGPIN_TASK_RETRIES": "0",
                "FANGPIN_PSEUDONYM_KEY": DEPLOY_KEY,
                "AIRFLOW__CORE__DAGS_FOLDER": os.environ["AIRFLOW__CORE__DAGS_FOLDER"]})
    started = time.perf_counter()
    proc = subprocess.run([str(Path(sys.executable).with_name("fangpin")), "run", "--landing",
                           str(landing)], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return url, time.perf_counter() - started


def json_lines(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
