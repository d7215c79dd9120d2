"""The fault suite's helpers (its fixtures are in conftest.py).

Real ``fangpin run`` processes killed, raced and rerun against a warehouse.

Each test starts ``fangpin run`` as a user would, in its own process (real Airflow
``dag.test``, dbt, GX and PostgreSQL), and stops it where it wants with a fault point
(``fangpin.faults``): the process announces it has arrived by writing a file and sleeps
there, holding its locks and its open transaction, until the test kills it with SIGKILL or
the sleep ends. Afterwards the test looks at the warehouse: marts as they were or correctly
extended, no leftovers, and a rerun that publishes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pytest

from fangpin.orchestration.airflow_env import metadata_url
from fangpin.warehouse.connection import drop_database, ensure_database, with_database

MONTHS = [date(2021, 1, 1), date(2021, 2, 1), date(2021, 3, 1)]
HOUSEHOLDS = 300
SEED = 7  # a province whose households reach the key counties (issue 13 until fixed)


@dataclass
class Warehouse:
    """A fresh database and Airflow home for one module, and how to run ``fangpin`` on it."""

    url: str
    home: Path
    tmp: Path

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ, "WAREHOUSE_URL": self.url, "AIRFLOW_HOME": str(self.home),
            "FANGPIN_TASK_RETRIES": "0", **extra,
        }

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_fangpin(), *args], env=self.env(**extra), capture_output=True, text=True,
            timeout=900,
        )

    def start(self, *args: str, point: str | None = None, sleep: float = 600,
              **extra: str) -> Started:
        """Start ``fangpin`` in the background, stopping at fault ``point`` if given."""
        marker = self.tmp / f"fault-{uuid.uuid4().hex[:8]}"
        if point:
            extra.update(FANGPIN_FAULT_POINT=point, FANGPIN_FAULT_FILE=str(marker),
                         FANGPIN_FAULT_SLEEP=str(sleep))
        out = (self.tmp / f"{marker.name}.out").open("w+")
        err = (self.tmp / f"{marker.name}.err").open("w+")
        proc = subprocess.Popen([_fangpin(), *args], env=self.env(**extra), stdout=out,
                                stderr=err, text=True)
        return Started(proc, marker, out, err)

    def query(self, sql: str, *params: object) -> list[tuple]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, *params: object) -> object:
        return self.query(sql, *params)[0][0]


@dataclass
class Started:
    proc: subprocess.Popen
    marker: Path
    out: object
    err: object

    def wait_for_point(self, timeout: float = 400) -> None:
        """Until the process has reached its fault point (fails if it ended first)."""
        deadline = time.monotonic() + timeout
        while not self.marker.exists():
            if self.proc.poll() is not None:
                raise AssertionError(f"ended (exit {self.proc.returncode}) before its fault "
                                     f"point:\n{self.stderr()[-4000:]}")
            if time.monotonic() > deadline:
                raise AssertionError("never reached its fault point")
            time.sleep(0.5)

    def kill(self) -> None:
        """SIGKILL, as ``kill -9``: nothing of the process gets to clean up."""
        self.proc.kill()
        self.proc.wait(30)

    def finish(self, timeout: float = 900) -> int:
        return self.proc.wait(timeout)

    def stdout(self) -> str:
        self.out.seek(0)  # type: ignore[attr-defined]
        return self.out.read()  # type: ignore[attr-defined]

    def stderr(self) -> str:
        self.err.seek(0)  # type: ignore[attr-defined]
        return self.err.read()  # type: ignore[attr-defined]


def _fangpin() -> str:
    return str(Path(sys.executable).with_name("fangpin"))


def new_warehouse(server_url: str, factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    url = with_database(server_url, f"fangpin_fault_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    tmp = factory.mktemp("fault-run")
    yield Warehouse(url, tmp / "airflow", tmp)
    drop_database(url)
    drop_database(metadata_url(url))


def marts_fingerprint(wh: Warehouse, schema: str = "marts",
                      without_build_times: bool = False) -> dict[str, tuple[int, str]]:
    """Row count and md5 of the sorted rows of every table in ``schema``.

    ``without_build_times`` leaves out the columns that say when and by which run (timestamps
    of loads and builds, run ids), to compare two warehouses built at different times.
    """
    tables = [r[0] for r in wh.query(
        "select relname from pg_class where relnamespace = %s::regnamespace "
        "and relkind in ('r', 'p') order by 1", schema)]  # p: the month-partitioned facts
    found = {}
    for table in tables:
        names = [r[0] for r in wh.query(
            "select column_name from information_schema.columns where table_schema = %s "
            "and table_name = %s and not (%s and (data_type like 'timestamp%%' "
            "or column_name like '%%run_id')) order by ordinal_position",
            schema, table, without_build_times)]
        row = "(" + ", ".join(f't."{n}"' for n in names) + ")::text"
        found[table] = tuple(wh.query(
            f"select count(*), md5(coalesce(string_agg({row}, '|' order by {row}), '')) "
            f'from "{schema}"."{table}" t')[0])
    return found


def published_months(wh: Warehouse) -> list[date]:
    if wh.scalar("select to_regclass('marts.fct_household_month')") is None:
        return []
    return [r[0] for r in wh.query("select distinct month from marts.fct_household_month "
                                   "order by 1")]


def open_stages(wh: Warehouse) -> list[tuple]:
    """``started`` rows of ops.run_log that nothing closed."""
    return wh.query(
        "select s.run_id, s.month, s.stage from ops.run_log s where s.status = 'started' "
        "and not exists (select 1 from ops.run_log e where e.run_id = s.run_id and "
        "e.month = s.month and e.stage = s.stage and e.status <> 'started' "
        "and e.run_log_id > s.run_log_id)")


def audit_batch_exists(wh: Warehouse) -> bool:
    return bool(wh.query("select 1 from pg_namespace where nspname = 'audit_batch'"))


def sessions_besides_ours(wh: Warehouse, timeout: float = 20) -> int:
    """Other sessions on the database, once they had ``timeout`` to go (orphaned dbt?)."""
    deadline = time.monotonic() + timeout
    while True:
        count = wh.scalar("select count(*) from pg_stat_activity where datname = "
                          "current_database() and pid <> pg_backend_pid()")
        if count == 0 or time.monotonic() > deadline:
            return int(count)  # type: ignore[arg-type]
        time.sleep(0.5)


def assert_one_line(stderr: str, prefix: str = "fangpin run stopped: ") -> str:
    """The run ended with one stop line, not an uncaught traceback (Airflow's task logs, which
    come before it, may show the failing task's traceback: that is the log, not the end)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    assert lines[-1].startswith(prefix), stderr[-3000:]
    assert sum(line.startswith(prefix) for line in lines) == 1, stderr[-3000:]
    return lines[-1]
