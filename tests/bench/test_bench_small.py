"""``make bench`` at a tiny size, so the harness cannot rot: it runs the real stages (load,
dbt build, audit, publish) for three months of a 600-household province generated month by
month (months 1 and 3 timed, as a history run times months 1, 13 and 61) and the load
comparison on a few thousand rows, then the table, the CSVs and the targets must be there
and make sense, and the generated months must be gone from the disk.

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
            sys.executable, "-m", "benchmarks", "--sizes", "600", "--months", "1", "3",
            "--stream", "--load-rows", "3000", "--out", str(out),
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
    assert "month 3 / month 1 = " in proc.stdout and "(target <= 1.1)" in proc.stdout
    assert "end to end, generation" in proc.stdout

    rows = _read(out)
    assert [r["run"] for r in rows] == ["month 1", "month 3"]
    assert [r["month"] for r in rows] == ["2021-01", "2021-03"]
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
    assert all(float(r["s_generate"]) > 0 for r in rows)  # each month generated beside the run
    assert float(rows[0]["run_wall_s"]) > float(rows[0]["s_total"]) + float(rows[1]["s_total"])

    # Every month run, timed or not, with its total: the curve of cost against history.
    history = _read(out.with_name("results-history.csv"))
    assert [(h["ordinal"], h["month"]) for h in history] == [
        ("1", "2021-01"), ("2", "2021-02"), ("3", "2021-03")]
    assert history[0]["s_total"] == rows[0]["s_total"]
    assert history[2]["s_total"] == rows[1]["s_total"]
    # Streamed: no province cached, and each month's files removed behind the run.
    bench = tmp_path / "bench"
    assert not list(bench.glob("province-*")) and not list(bench.glob("stream-*"))

    load = _read(out.with_name("results-load.csv"))[0]
    assert int(load["rows"]) == 3000
    for key in ("loader_rows_per_s", "psql_copy_rows_per_s", "pandas_to_sql_rows_per_s",
                "loader_vs_copy", "loader_vs_to_sql"):
        assert float(load[key]) > 0, key

    targets = {t["target"]: t for t in _read(out.with_name("results-targets.csv"))}
    assert {"month 1 total seconds", "audit share of month 1", "audit share of month 3",
            "month 3 / month 1", "peak Python MiB", "loader time / psql \\copy time",
            "run of months 1-3, seconds end to end"} <= set(targets)
    assert "loader speed / to_sql speed" not in targets  # retired: \\copy is the floor
    assert {t["verdict"] for t in targets.values()} <= {"met", "MISSED", "n/a"}
    ratio = targets["month 3 / month 1"]
    assert ratio["limit"] == "<= 1.1"
    assert float(ratio["value"]) == pytest.approx(
        float(rows[1]["s_total"]) / float(rows[0]["s_total"]), abs=0.01)
    assert ratio["verdict"] == ("met" if float(ratio["value"]) <= 1.1 else "MISSED")

    # dbt's per-model timings are kept for profiling.
    assert (tmp_path / "bench" / "run_results" / "600-2021-01.json").exists()
    # The size's scratch database is dropped again.
    assert _bench_databases(server_url) <= before
