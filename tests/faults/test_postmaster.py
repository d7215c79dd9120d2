"""A warehouse server killed under a run: one line, exit 5, nothing half done, a rerun publishes.

Runs against a cluster of its own (``EmbeddedWarehouse`` in a temporary folder, started as
the ``postgres`` user), since killing the shared test server would stop every other test.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from faultkit import (
    MONTHS,
    Warehouse,
    assert_one_line,
    audit_batch_exists,
    open_stages,
    published_months,
)

from fangpin.warehouse.embedded import EmbeddedWarehouse

pytestmark = [pytest.mark.slow, pytest.mark.faults]


def _postmaster_pid(cluster: EmbeddedWarehouse) -> int:
    return int((cluster.data_dir / "postmaster.pid").read_text().splitlines()[0])


def test_a_killed_postmaster_stops_the_run_with_one_line_and_a_rerun_publishes(
    tmp_path: Path, landing: Path,
) -> None:
    cluster = EmbeddedWarehouse(tmp_path / "cluster")
    url = cluster.start()
    wh = Warehouse(url, tmp_path / "airflow", tmp_path)
    try:
        running = wh.start("run", "--landing", str(landing), "--months", "2021-01",
                           point="transform", sleep=5)
        running.wait_for_point()
        pid = _postmaster_pid(cluster)
        os.kill(pid, signal.SIGKILL)
        code = running.finish(300)

        assert code == 5, running.stderr()[-3000:]
        line = assert_one_line(running.stderr())
        assert "2021-01, stage transform" in line and "the warehouse stopped answering" in line

        deadline = time.monotonic() + 30  # the server's children notice their parent died
        while cluster.is_running() and time.monotonic() < deadline:
            time.sleep(0.5)
        cluster.start()  # crash recovery: what was not committed is gone
        assert published_months(wh) == []

        done = wh.run("run", "--landing", str(landing), "--months", "2021-01")
        assert done.returncode == 0, done.stderr[-4000:]
        assert published_months(wh) == [MONTHS[0]]
        assert open_stages(wh) == [] and not audit_batch_exists(wh)
    finally:
        cluster.stop()
