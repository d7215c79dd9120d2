"""``make bench``: month 1 on an empty warehouse, then later months on top of a history.

Every month from 1 to the last timed one is run in order on one fresh database; the timed
months (1 and 13 by default; 1, 13 and 61 for five years of history) are reported in full,
and every month's total is printed as it finishes, so the cost of history shows as a curve.

The stages are the same functions the DAG's tasks call (``fangpin.pipeline.monthly``), timed one by
one, so the figures say where a month's time goes without Airflow's scheduling overhead in
them (that overhead is fixed per run, and measured by the end-to-end test). Provinces are
generated once and cached under ``.bench/``, or, for a long history, generated month by month
beside the run and removed behind it (``province_months``), so the disk holds one month of
files, not the whole history (1M households × 13 months is about 21 GB); every run gets a
fresh database.

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
from fangpin.domain.months import add_months, month_span
from fangpin.warehouse.connection import (
    connect,
    drop_database,
    ensure_database,
    one_row,
    with_database,
)

SEED = 2021
FIRST_MONTH = date(2021, 1, 1)
#: Above this many household-months a province is generated month by month, not cached:
#: 100,000 households × 13 months (about 2 GB of files) is still cached.
STREAM_ABOVE_HOUSEHOLD_MONTHS = 1_300_000


def bench_months(count: int) -> list[date]:
    """The first ``count`` months of a benchmark province, from January 2021."""
    return month_span(FIRST_MONTH, add_months(FIRST_MONTH, count - 1))


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


def cached_province(size: int, months: int) -> tuple[Path, float] | None:
    """A cached province of ``size`` households with at least ``months`` months, and the
    seconds its generation took; None when there is none (its first months serve a shorter
    run)."""
    found = []
    for marker in bench_dir().glob(f"province-{size}-{SEED}-*m/.complete"):
        held = int(marker.parent.name.rsplit("-", 1)[1][:-1])
        if held >= months:
            found.append((held, marker))
    if not found:
        return None
    _, marker = min(found)
    return marker.parent, float(json.loads(marker.read_text())["seconds"])


def province(size: int, months: list[date]) -> tuple[Path, float]:
    """The cached generated province for a size; generated (and timed) on first use."""
    from fangpin.synth import write_province

    cached = cached_province(size, len(months))
    if cached is not None:
        return cached
    out = bench_dir() / f"province-{size}-{SEED}-{len(months)}m"
    marker = out / ".complete"
    started = time.perf_counter()
    write_province(out, households=size, months=months, seed=SEED, messy=0.0)
    seconds = time.perf_counter() - started
    marker.write_text(json.dumps({"seconds": seconds}))
    return out, seconds


class StreamedProvince:
    """A province generated a month at a time beside the run and removed behind it.

    ``next_month()`` writes the next month's files (timed: ``seconds`` is the generation time
    so far) and ``done(month)`` removes them once the month has been run, so the disk holds one
    month. The same seed gives the same files as a cached province.
    """

    def __init__(self, size: int, months: list[date]) -> None:
        from fangpin.synth import province_months

        self.landing = bench_dir() / f"stream-{size}-{SEED}-{uuid.uuid4().hex[:6]}"
        self.seconds = 0.0
        self._months = province_months(
            self.landing, households=size, months=months, seed=SEED, messy=0.0
        )

    def next_month(self) -> date:
        started = time.perf_counter()
        month = next(self._months)
        self.seconds += time.perf_counter() - started
        return month

    def done(self, month: date) -> None:
        for folder in (self.landing / f"{month:%Y-%m}", self.landing / "_truth" / f"{month:%Y-%m}"):
            shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        self._months.close()
        shutil.rmtree(self.landing, ignore_errors=True)


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
    server: str,
    size: int,
    timed: list[int],
    load_workers: int = 2,
    stream: bool | None = None,
) -> dict:
    """One size: months 1 to ``max(timed)`` in order on one fresh database; the months whose
    ordinals are in ``timed`` are reported stage by stage, every month's total is kept.

    ``stream`` generates the province month by month and removes each month after its run
    (default: when the province would exceed ``STREAM_ABOVE_HOUSEHOLD_MONTHS`` and no cached
    one is there). ``wall_seconds`` is the whole run, generation included.
    """
    timed = sorted(set(timed))
    if not timed or timed[0] != 1:
        raise ValueError(f"the timed months must start with month 1, got {timed}")
    started = time.perf_counter()
    months = bench_months(timed[-1])
    os.environ["DBT_TARGET_PATH"] = str(dbt_target_dir())
    cached = cached_province(size, len(months))
    if stream is None:
        stream = cached is None and size * len(months) > STREAM_ABOVE_HOUSEHOLD_MONTHS
    streamed = StreamedProvince(size, months) if stream else None
    landing, gen_seconds = (
        (streamed.landing, 0.0) if streamed else (cached or province(size, months))
    )
    url = with_database(server, f"fangpin_bench_{size}_{uuid.uuid4().hex[:6]}")
    ensure_database(url)
    result: dict = {"size": size, "timed": [], "months": [], "streamed": stream}
    try:
        for ordinal, month in enumerate(months, start=1):
            if streamed:
                generated_before = streamed.seconds
                streamed.next_month()
                month_generation = streamed.seconds - generated_before
            label = f"month {ordinal}" if ordinal in timed else "history"
            figures = run_month(url, landing, month, size, label, load_workers)
            if streamed:
                streamed.done(month)
                figures.seconds["generate"] = round(month_generation, 2)
            elif ordinal == 1:
                figures.seconds["generate"] = round(gen_seconds, 2)
            result["months"].append((ordinal, figures))
            if ordinal in timed:
                result["timed"].append(figures)
            print(f"  {size:,} households, month {ordinal:>2} ({figures.month}):"
                  f" {figures.total:7.1f} s  (load {figures.load_seconds:.1f},"
                  f" dbt {figures.seconds.get('dbt_build', 0):.1f},"
                  f" audit {figures.seconds.get('audit', 0):.1f})", flush=True)
        result["warehouse_mib"] = round(warehouse_bytes(url) / 2**20, 1)
        result["peak_python_mib"] = round(peak_python_mib(), 1)
        result["generate_seconds"] = round(streamed.seconds if streamed else gen_seconds, 1)
        # A province taken from the cache was generated before this run: its recorded time
        # is added, so the figure is the whole run, generation included, either way.
        generated_before = gen_seconds if cached is not None and not streamed else 0.0
        result["wall_seconds"] = round(time.perf_counter() - started + generated_before, 1)
        return result
    finally:
        drop_database(url)
        if streamed:
            streamed.close()


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
    """A row per timed month: its stages, figures and the size's run-wide ones."""
    rows = []
    for fig in result["timed"]:
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
                "run_wall_s": result["wall_seconds"],
                "run_generate_s": result["generate_seconds"],
            }
        )
        rows.append(row)
    return rows


HISTORY_STAGES = ("load", "dbt_build", "audit", "publish")


def history_rows(result: dict) -> list[dict]:
    """Every month of the run, timed or not: the curve of a month's cost against history."""
    return [
        {
            "size": fig.size,
            "ordinal": ordinal,
            "month": fig.month,
            **{f"s_{k}": fig.seconds.get(k, 0.0) for k in HISTORY_STAGES},
            "s_total": round(fig.total, 2),
            "s_generate": fig.seconds.get("generate", 0.0),
        }
        for ordinal, fig in result["months"]
    ]
