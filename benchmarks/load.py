"""How fast the loader is, against the floor set by ``psql \\copy`` and the usual pandas way.

``bench_load(url, rows)`` writes a clean education CSV of ``rows`` rows (clean: ISO dates,
English codes, plain amounts, so ``psql \\copy`` can take it as is), then times on the same
server, in a scratch database it drops afterwards:

- ``loader``: ``load_feed_month`` - sha256, encoding check, normalising every cell, COPY,
  history and the ANALYZE of ``raw.education`` (its seconds also reported apart); what
  production runs;
- ``psql_copy``: ``psql -c "\\copy ... from file (format csv, header)"`` into a table of the
  same columns and types - no validation at all, the floor;
- ``psycopg_copy_file``: the file's bytes streamed through psycopg ``cursor.copy()`` - the
  same floor from Python;
- ``pandas_to_sql``: ``DataFrame.to_sql`` on a sample (it is 10-30x slower; a full run
  would take minutes), for information: issue 17 retired the "20x to_sql" target (20x
  ``to_sql`` is about ``\\copy`` itself); the target is the loader within 1.5x of ``\\copy``.

Figures are rows per second of wall time. Nothing here is imported by the pipeline.
"""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg

from fangpin.feeds.contracts import EDUCATION
from fangpin.feeds.normalise import id_check_char, province_counties
from fangpin.load.loader import load_feed_month
from fangpin.warehouse.connection import (
    drop_database,
    ensure_database,
    sqlalchemy_url,
    with_database,
)

BENCH_MONTH = date(2021, 12, 1)
_COLUMNS = [c.name for c in EDUCATION.columns]


def write_clean_education_csv(path: Path, rows: int, seed: int = 20211201) -> int:
    """A clean education file of ``rows`` rows; returns its size in bytes.

    Values come from small pools (50,000 people, 5,000 schools, 120 dates) so that writing a
    million rows takes a second or two, while the loader still checks every id in full.
    """
    rnd = random.Random(seed)
    counties = sorted(province_counties())
    people = []
    for n in range(50_000):
        born = date(2003, 1, 1) + timedelta(days=rnd.randrange(6500))
        first17 = f"{rnd.choice(counties)}{born:%Y%m%d}{n % 1000:03d}"
        people.append(f"{first17}{id_check_char(first17)},学生{n}")
    schools = [f"S{n:05d},学校{n}" for n in range(5000)]
    stages = [c.code for c in EDUCATION.column("stage").codes]
    statuses = ["enrolled"] * 6 + [c.code for c in EDUCATION.column("status").codes]
    dates = [(date(2021, 9, 1) + timedelta(days=d)).isoformat() for d in range(120)]
    amounts = [""] * 3 + [f"{rnd.randrange(0, 300_000) / 100:.2f}" for _ in range(997)]
    path.parent.mkdir(parents=True, exist_ok=True)
    choice = rnd.choice
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(_COLUMNS) + "\n")
        batch = []
        for _ in range(rows):
            batch.append(
                f"{choice(people)},{choice(schools)},{choice(stages)},{choice(statuses)},"
                f"{choice(dates)},{choice(amounts)}\n"
            )
            if len(batch) >= 10_000:
                fh.write("".join(batch))
                batch.clear()
        fh.write("".join(batch))
    return path.stat().st_size


def _rate(rows: int, seconds: float) -> dict[str, float]:
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds)}


def bench_load(
    url: str, rows: int = 1_000_000, sample_rows: int = 50_000, repeat: int = 1
) -> dict[str, Any]:
    """Time the loader, ``psql \\copy``, a psycopg file COPY and pandas ``to_sql`` (on
    ``sample_rows``, first repeat only) for a clean education file of ``rows`` rows; return the
    figures.

    With ``repeat`` > 1 the file is written once and the loader, ``\\copy`` and the psycopg
    COPY are timed ``repeat`` times, each repeat in a fresh scratch database (the loader's
    first load of a month, as in production); every figure is then the median of the repeats,
    and ``loader_vs_copy`` the median of the per-repeat ratios of loader time to ``\\copy``
    time (``loader_vs_copy_runs`` lists them).

    ``url`` names the server (any database on it): the work happens in scratch databases,
    dropped at the end, so no warehouse is touched.
    """
    workdir = Path(tempfile.mkdtemp(prefix="fangpin-bench-"))
    result: dict[str, Any] = {"rows": rows, "repeat": repeat}
    try:
        landing = workdir / "landing"
        path = landing / f"{BENCH_MONTH:%Y-%m}" / "education" / "bench.csv"
        started = time.perf_counter()
        size = write_clean_education_csv(path, rows)
        result["file_mb"] = round(size / 1e6, 1)
        result["write_file_seconds"] = round(time.perf_counter() - started, 3)
        runs = [
            _bench_once(url, landing, path, rows, sample_rows if n == 0 else 0)
            for n in range(max(repeat, 1))
        ]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for method in ("loader", "psql_copy", "psycopg_copy_file"):
        figures = [r[method] for r in runs if r.get(method)]
        if not figures:
            result[method] = None
            continue
        seconds = statistics.median(f["seconds"] for f in figures)
        result[method] = _rate(rows, seconds)
        if method == "loader":
            result[method]["analyze_seconds"] = round(
                statistics.median(f["analyze_seconds"] for f in figures), 3
            )
        result[method]["runs_seconds"] = [f["seconds"] for f in figures]
    result["pandas_to_sql"] = runs[0].get("pandas_to_sql")
    ratios = [
        round(r["loader"]["seconds"] / r["psql_copy"]["seconds"], 3)
        for r in runs if r.get("psql_copy")
    ]
    result["loader_vs_copy_runs"] = ratios
    result["loader_vs_copy"] = round(statistics.median(ratios), 2) if ratios else None
    result["loader_vs_psql"] = round(
        result["loader"]["rows_per_s"] / result["psql_copy"]["rows_per_s"], 3
    ) if result["psql_copy"] else None
    return result


def _bench_once(
    url: str, landing: Path, path: Path, rows: int, sample_rows: int
) -> dict[str, Any]:
    """One repeat of ``bench_load`` in a scratch database of its own."""
    from fangpin.pipeline.setup import ensure_warehouse

    scratch = with_database(url, f"fangpin_bench_{uuid.uuid4().hex[:10]}")
    result: dict[str, Any] = {}
    try:
        ensure_database(scratch)
        ensure_warehouse(scratch)
        started = time.perf_counter()
        loaded = load_feed_month(scratch, landing, BENCH_MONTH, "education", run_id="bench")
        result["loader"] = _rate(loaded.rows_loaded, time.perf_counter() - started)
        result["loader"]["analyze_seconds"] = round(loaded.analyze_seconds, 3)
        assert loaded.rows_loaded == rows, loaded

        columns = ", ".join(_COLUMNS)
        with psycopg.connect(scratch, autocommit=True) as conn:
            for table in ("bench_psql", "bench_psycopg", "bench_pandas"):
                conn.execute(f"create table public.{table} as select {columns} from raw.education"
                             " where false")
        result["psql_copy"] = _psql_copy(scratch, path, rows)
        result["psycopg_copy_file"] = _psycopg_copy(scratch, path, rows)
        if sample_rows:
            result["pandas_to_sql"] = _pandas_to_sql(scratch, path, min(rows, sample_rows))
    finally:
        drop_database(scratch)
    return result


def _psql_copy(url: str, path: Path, rows: int) -> dict[str, float] | None:
    psql = shutil.which("psql")
    if psql is None:
        return None
    command = (
        f"\\copy public.bench_psql ({', '.join(_COLUMNS)}) from '{path}'"
        " with (format csv, header true)"
    )
    started = time.perf_counter()
    subprocess.run([psql, url, "-v", "ON_ERROR_STOP=1", "-q", "-c", command], check=True)
    return _rate(rows, time.perf_counter() - started)


def _psycopg_copy(url: str, path: Path, rows: int) -> dict[str, float]:
    started = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(
            f"copy public.bench_psycopg ({', '.join(_COLUMNS)}) from stdin"
            " with (format csv, header true)"
        ) as copy, path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                copy.write(chunk)
    return _rate(rows, time.perf_counter() - started)


def _pandas_to_sql(url: str, path: Path, rows: int) -> dict[str, float]:
    import pandas as pd
    import sqlalchemy

    frame = pd.read_csv(
        path, nrows=rows, dtype={"id_number": str, "school_code": str},
        parse_dates=["status_date"],
    )
    frame["status_date"] = frame["status_date"].dt.date
    engine = sqlalchemy.create_engine(sqlalchemy_url(url))
    try:
        started = time.perf_counter()
        frame.to_sql("bench_pandas", engine, schema="public", if_exists="append", index=False)
        return _rate(rows, time.perf_counter() - started)
    finally:
        engine.dispose()
