"""``make bench`` at a tiny size, so the harness cannot rot: it runs the real stages (load,
dbt build, audit, publish) twice on a 600-household province and the load comparison on a few
thousand rows, then the table, the CSVs and the targets must be there and make sense.

No timing is asserted: the figures depend on the machine; only their shape and sanity are.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]

STAGES = ["s_prepare", "s_load", "s_dbt_build", "s_audit", "s_publish", "s_total"]


def _read(path: Path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _bench_databases(server_url: str) -> set[str]:
    with psycopg.connect(server_url, autocommit=True) as conn:
        rows = conn.execute(
            "select datname from pg_database where datname like 'fangpin\\_bench\\_600\\_%'"
        ).fetchall()
    return {r[0] for r in rows}


def test_bench_runs_and_reports_every_stage(server_url: str, tmp_path: Path) -> None:
    before = _bench_databases(server_url)
    out = tmp_path / "results.csv"
    env = {
        **os.environ,
        "WAREHOUSE_URL": server_url,
        "FANGPIN_BENCH_DIR": str(tmp_path / "bench"),
    }
    proc = subprocess.run(
        [
            sys.executable, "-m", "benchmarks", "--sizes", "600", "--history", "0",
            "--load-rows", "3000", "--out", str(out),
        ],
        # benchmarks/ is not installed: it runs from the project root, as `make bench` does.
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    # The printed table: a section for the size, the stages, the ratios, the targets.
    assert "== 600 households ==" in proc.stdout
    for key in (*STAGES, "load_rows_per_s", "peak_python_mib", "warehouse_mib"):
        assert key in proc.stdout, key
    assert "psql \\copy" in proc.stdout and "to_sql" in proc.stdout
    assert "Targets" in proc.stdout

    rows = _read(out)
    assert [r["run"] for r in rows] == ["month 1", "month 2"]
    for row in rows:
        for key in STAGES:
            assert float(row[key]) >= 0, (key, row)
        # The month's total is its stages (per-feed loads are inside the load's wall time).
        parts = sum(float(row[k]) for k in STAGES[:-1])
        assert float(row["s_total"]) == pytest.approx(parts, abs=0.05)
        assert float(row["s_load"]) > 0 and float(row["s_dbt_build"]) > 0
        assert float(row["s_audit"]) > 0
        assert int(row["rows_loaded"]) > 600  # households, members and the other feeds
        assert float(row["load_rows_per_s"]) > 0
        assert 0 < float(row["audit_share"]) < 1
        assert 0 < float(row["peak_python_mib"]) < 24 * 1024
        assert float(row["warehouse_mib"]) > 0
        feeds = [k for k in row if k.startswith("s_load:")]
        assert {"s_load:registry_households", "s_load:registry_members"} <= set(feeds)
    assert float(rows[0]["s_generate"]) >= 0

    load = _read(out.with_name("results-load.csv"))[0]
    assert int(load["rows"]) == 3000
    for key in ("loader_rows_per_s", "psql_copy_rows_per_s", "pandas_to_sql_rows_per_s",
                "loader_vs_copy", "loader_vs_to_sql"):
        assert float(load[key]) > 0, key

    targets = _read(out.with_name("results-targets.csv"))
    names = {t["target"] for t in targets}
    assert {"month 1 total seconds", "audit share of month 1", "month 2 / month 1",
            "peak Python MiB", "loader time / psql \\copy time"} <= names
    assert "loader speed / to_sql speed" not in names  # retired by issue 17
    assert {t["verdict"] for t in targets} <= {"met", "MISSED", "n/a"}

    # dbt's per-model timings are kept for profiling.
    assert (tmp_path / "bench" / "run_results" / "600-2021-01.json").exists()
    # The size's scratch database is dropped again.
    assert _bench_databases(server_url) <= before
