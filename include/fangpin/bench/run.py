"""``make bench``: one month, then a thirteenth month on top of twelve, per province size.

The stages are the same functions the DAG's tasks call (``fangpin.monthly``), timed one by
one, so the figures say where a month's time goes without Airflow's scheduling overhead in
them (that overhead is fixed per run, and measured by the end-to-end test). Provinces are
generated once and cached under ``.bench/``; every run gets a fresh database.
"""

from __future__ import annotations

import csv
import json
import resource
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from fangpin.config import project_root
from fangpin.warehouse.connection import connect, drop_database, ensure_database, with_database

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
        return sum(v for k, v in self.seconds.items() if k.startswith("load:"))

    @property
    def total(self) -> float:
        return sum(v for k, v in self.seconds.items() if k != "generate")

    @property
    def load_rate(self) -> float:
        return self.rows_loaded / self.load_seconds if self.load_seconds else 0.0


def bench_dir() -> Path:
    return project_root() / ".bench"


def province(size: int, months: list[date]) -> tuple[Path, float]:
    """The cached generated province for a size; generated (and timed) on first use."""
    from fangpin.synth import write_province

    out = bench_dir() / f"province-{size}-{SEED}-{len(months)}m"
    marker = out / ".complete"
    if marker.exists():
        return out, json.loads(marker.read_text())["seconds"]
    started = time.perf_counter()
    write_province(out, households=size, months=months, seed=SEED, messy=0.0)
    seconds = time.perf_counter() - started
    marker.write_text(json.dumps({"seconds": seconds}))
    return out, seconds


def run_month(url: str, landing: Path, month: date, size: int, label: str) -> MonthFigures:
    """Every stage of one month, timed."""
    from fangpin import monthly

    figures = MonthFigures(size, label, f"{month:%Y-%m}")
    run_id = f"bench-{uuid.uuid4().hex[:8]}"

    def timed(name: str, step):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        result = step()
        figures.seconds[name] = round(time.perf_counter() - started, 2)
        return result

    feeds = timed("prepare", lambda: monthly.prepare(url, landing, month, run_id))
    for feed in feeds:
        result = timed(f"load:{feed}", lambda f=feed: monthly.load(url, landing, month, f, run_id))
        figures.rows_loaded += int(result.get("rows_loaded", 0) or 0)
        figures.rows_quarantined += int(result.get("rows_quarantined", 0) or 0)
    timed("dbt_build", lambda: monthly.transform(url, month, run_id))
    timed("audit", lambda: monthly.audit(url, month, run_id))
    timed("publish", lambda: monthly.publish(url, month, run_id))
    return figures


def warehouse_bytes(url: str) -> int:
    with connect(url) as conn:
        return int(conn.execute("select pg_database_size(current_database())").fetchone()[0])


def peak_python_mib() -> float:
    """Peak resident memory of this process and of its finished children (dbt), in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def bench_size(server: str, size: int, thirteen: bool) -> dict:
    """One size: month 1 on an empty warehouse; then months 2-12 and month 13, timed."""
    months = MONTHS if thirteen else MONTHS[:1]
    landing, gen_seconds = province(size, months)
    url = with_database(server, f"fangpin_bench_{size}_{uuid.uuid4().hex[:6]}")
    ensure_database(url)
    try:
        first = run_month(url, landing, months[0], size, "month 1")
        first.seconds["generate"] = round(gen_seconds, 2)
        result = {"size": size, "first": first, "thirteenth": None}
        if thirteen:
            for month in months[1:-1]:
                run_month(url, landing, month, size, "history")
            result["thirteenth"] = run_month(url, landing, months[-1], size, "month 13")
        result["warehouse_mib"] = round(warehouse_bytes(url) / 2**20, 1)
        result["peak_python_mib"] = round(peak_python_mib(), 1)
        return result
    finally:
        drop_database(url)


def load_comparison(server: str, rows: int) -> dict:
    """Our loader against ``psql \\copy`` and ``DataFrame.to_sql`` on the same clean rows."""
    from fangpin.load.bench import bench_load

    url = with_database(server, f"fangpin_bench_load_{uuid.uuid4().hex[:6]}")
    ensure_database(url)
    try:
        return bench_load(url, rows)
    finally:
        drop_database(url)


def write_csv(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
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
                "s_load_total": round(fig.load_seconds, 2),
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


def as_dict(fig: MonthFigures) -> dict:
    return asdict(fig)
