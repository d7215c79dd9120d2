"""``make bench``: one month, then a thirteenth month on top of twelve, per province size.

The stages are the same functions the DAG's tasks call (``fangpin.pipeline.monthly``), timed one by
one, so the figures say where a month's time goes without Airflow's scheduling overhead in
them (that overhead is fixed per run, and measured by the end-to-end test). Provinces are
generated once and cached under ``.bench/``; every run gets a fresh database.

The feeds of a month load in ``load_workers`` processes at once (2 by default), as the DAG's
mapped load tasks do (``max_active_tis_per_dagrun=2``); ``load`` is the wall time of all of
them, ``load:<feed>`` each feed's own time. dbt writes its ``run_results.json`` (per-model
timings) to ``.bench/dbt-target``; a copy per size and month is kept beside the CSV.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import resource
import shutil
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from fangpin.config import project_root
from fangpin.warehouse.connection import (
    connect,
    drop_database,
    ensure_database,
    one_row,
    with_database,
)

SEED = 2021
MONTHS = [date(2021, m, 1) for m in range(1, 13)] + [date(2022, 1, 1)]


@dataclass
class MonthFigures:
    size: int
    label: str
    month: str
    seconds: dict[str, float] = field(default_factory=dict)
    rows_loaded: int = 0
    rows_quarantined: int = 0

    @property
    def load_seconds(self) -> float:
        """Wall time of the month's loads (feeds load side by side)."""
        return self.seconds.get("load", 0.0)

    @property
    def total(self) -> float:
        """The month's wall time: every stage but generation; per-feed loads are in ``load``."""
        return sum(
            v for k, v in self.seconds.items() if k != "generate" and not k.startswith("load:")
        )

    @property
    def load_rate(self) -> float:
        return self.rows_loaded / self.load_seconds if self.load_seconds else 0.0


def bench_dir() -> Path:
    """Where provinces, dbt's target and the figures go: ``FANGPIN_BENCH_DIR`` or ``.bench/``."""
    configured = os.environ.get("FANGPIN_BENCH_DIR", "").strip()
    return Path(configured) if configured else project_root() / ".bench"


def province(size: int, months: list[date]) -> tuple[Path, float]:
    """The cached generated province for a size; generated (and timed) on first use.

    A cached province with more months serves a run of fewer (its first months are used).
    """
    from fangpin.synth import write_province

    for n in range(len(MONTHS), len(months) - 1, -1):
        cached = bench_dir() / f"province-{size}-{SEED}-{n}m"
        if (cached / ".complete").exists():
            return cached, json.loads((cached / ".complete").read_text())["seconds"]
    out = bench_dir() / f"province-{size}-{SEED}-{len(months)}m"
    marker = out / ".complete"
    started = time.perf_counter()
    write_province(out, households=size, months=months, seed=SEED, messy=0.0)
    seconds = time.perf_counter() - started
    marker.write_text(json.dumps({"seconds": seconds}))
    return out, seconds


def _load_one(url: str, landing: Path, month: date, feed: str, run_id: str) -> tuple:
    """One feed's load in a worker process: (feed, seconds, result)."""
    from fangpin.pipeline import monthly

    started = time.perf_counter()
    result = monthly.load(url, landing, month, feed, run_id)
    return feed, time.perf_counter() - started, result


def run_month(
    url: str, landing: Path, month: date, size: int, label: str, load_workers: int = 2
) -> MonthFigures:
    """Every stage of one month, timed."""
    from fangpin.pipeline import monthly

    figures = MonthFigures(size, label, f"{month:%Y-%m}")
    run_id = f"bench-{uuid.uuid4().hex[:8]}"

    def timed(name: str, step):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        result = step()
        figures.seconds[name] = round(time.perf_counter() - started, 2)
        return result

    feeds = timed("prepare", lambda: monthly.prepare(url, landing, month, run_id))

    def _loads() -> list[tuple]:
        if load_workers <= 1:
            return [_load_one(url, landing, month, f, run_id) for f in feeds]
        # Worker processes, as the DAG's mapped tasks: parsing is Python work, a thread pool
        # would share one core. The registry goes first (the largest feeds).
        order = sorted(feeds, key=lambda f: (not f.startswith("registry"), f))
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(load_workers, mp_context=context) as pool:
            futures = [pool.submit(_load_one, url, landing, month, f, run_id) for f in order]
            return [f.result() for f in futures]

    for feed, seconds, result in timed("load", _loads):
        figures.seconds[f"load:{feed}"] = round(seconds, 2)
        files = result.get("files") or []  # FeedLoadResult as a dict: its totals are per file
        figures.rows_loaded += sum(int(f.get("rows_loaded") or 0) for f in files)
        figures.rows_quarantined += sum(int(f.get("rows_quarantined") or 0) for f in files)
    timed("dbt_build", lambda: monthly.transform(url, month, run_id))
    _keep_run_results(size, month)
    timed("audit", lambda: monthly.audit(url, month, run_id))
    timed("publish", lambda: monthly.publish(url, month, run_id))
    return figures


def dbt_target_dir() -> Path:
    return bench_dir() / "dbt-target"


def _keep_run_results(size: int, month: date) -> None:
    found = dbt_target_dir() / "run_results.json"
    if found.exists():
        keep = bench_dir() / "run_results" / f"{size}-{month:%Y-%m}.json"
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found, keep)


def slowest_dbt_nodes(size: int, month: str, top: int = 8) -> list[tuple[str, float]]:
    """The dbt nodes that took longest in a benched month (from the kept run_results.json)."""
    path = bench_dir() / "run_results" / f"{size}-{month}.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text()).get("results", [])
    timed = [
        (r["unique_id"].split(".", 2)[-1], float(r.get("execution_time") or 0)) for r in results
    ]
    return sorted(timed, key=lambda t: -t[1])[:top]


def warehouse_bytes(url: str) -> int:
    with connect(url) as conn:
        return int(one_row(conn.execute("select pg_database_size(current_database())"))[0])


def peak_python_mib() -> float:
    """Peak resident memory, in MiB, of this process (Great Expectations runs in it) and of
    its largest finished child (dbt, the load workers): the kernel keeps the maximum over
    waited-for children. Both are highs since the process started, so a later size includes
    the earlier ones."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def bench_size(
    server: str, size: int, thirteen: bool, history: int = 11, load_workers: int = 2
) -> dict:
    """One size: month 1 on an empty warehouse; then ``history`` months (11: months 2-12) and
    the month after them (month 13 when the history is full), timed."""
    if not 0 <= history <= len(MONTHS) - 2:
        raise ValueError(f"history must be 0..{len(MONTHS) - 2} months, got {history}")
    months = MONTHS[: history + 2] if thirteen else MONTHS[:1]
    os.environ["DBT_TARGET_PATH"] = str(dbt_target_dir())
    landing, gen_seconds = province(size, months)
    url = with_database(server, f"fangpin_bench_{size}_{uuid.uuid4().hex[:6]}")
    ensure_database(url)
    try:
        first = run_month(url, landing, months[0], size, "month 1", load_workers)
        first.seconds["generate"] = round(gen_seconds, 2)
        result = {"size": size, "first": first, "thirteenth": None, "history": history}
        if thirteen:
            for month in months[1:-1]:
                run_month(url, landing, month, size, "history", load_workers)
            result["thirteenth"] = run_month(
                url, landing, months[-1], size, f"month {len(months)}", load_workers
            )
        result["warehouse_mib"] = round(warehouse_bytes(url) / 2**20, 1)
        result["peak_python_mib"] = round(peak_python_mib(), 1)
        return result
    finally:
        drop_database(url)


def load_comparison(server: str, rows: int, repeat: int = 1) -> dict:
    """Our loader against ``psql \\copy`` and ``DataFrame.to_sql`` on the same clean rows
    (medians of ``repeat`` repeats, see ``bench_load``)."""
    from benchmarks.load import bench_load

    url = with_database(server, f"fangpin_bench_load_{uuid.uuid4().hex[:6]}")
    ensure_database(url)
    try:
        return bench_load(url, rows, repeat=repeat)
    finally:
        drop_database(url)


def write_csv(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = list(dict.fromkeys(k for r in rows for k in r))  # rows may differ in feeds
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def figures_rows(result: dict) -> list[dict]:
    rows = []
    for key in ("first", "thirteenth"):
        fig: MonthFigures | None = result.get(key)
        if fig is None:
            continue
        row = {"size": fig.size, "run": fig.label, "month": fig.month}
        row.update({f"s_{k}": v for k, v in sorted(fig.seconds.items())})
        row.update(
            {
                "s_total": round(fig.total, 2),
                "rows_loaded": fig.rows_loaded,
                "rows_quarantined": fig.rows_quarantined,
                "load_rows_per_s": round(fig.load_rate),
                "audit_share": round(fig.seconds.get("audit", 0) / fig.total, 3)
                if fig.total
                else 0,
                "peak_python_mib": result["peak_python_mib"],
                "warehouse_mib": result["warehouse_mib"],
            }
        )
        rows.append(row)
    return rows
