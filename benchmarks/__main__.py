"""``python -m benchmarks --sizes 10000 100000 1000000``: print and save the figures."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.run import (
    bench_dir,
    bench_size,
    figures_rows,
    load_comparison,
    slowest_dbt_nodes,
    write_csv,
)
from fangpin.warehouse.connection import warehouse_url

# Issue 7's targets, stated for 1,000,000 households and one month. Issue 17 retired the
# "loader >= 20x faster than DataFrame.to_sql" target: 20x to_sql is about what psql \copy does
# with no validation at all, so no validating loader can meet it; the floor is \copy, and the
# target the loader within LOAD_VS_COPY_MAX of its time. to_sql is still timed, for information.
MONTH_LIMIT_S = 600
MONTH_GOAL_S = 300
LOAD_VS_COPY_MAX = 1.5
AUDIT_SHARE_MAX = 0.20
THIRTEEN_VS_ONE_MAX = 1.2
PEAK_MIB_MAX = 2048
#: The load comparison's methods, as benchmarks.load.bench_load names them, in print order.
LOAD_METHODS = ("loader", "psql_copy", "psycopg_copy_file", "pandas_to_sql")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--no-thirteen", action="store_true", help="month 1 only")
    parser.add_argument(
        "--history", type=int, default=11,
        help="months run between month 1 and the last timed month (11: months 2-12, then 13)",
    )
    parser.add_argument("--load-workers", type=int, default=2, help="feeds loaded at once")
    parser.add_argument("--load-rows", type=int, default=1_000_000)
    parser.add_argument("--no-load-comparison", action="store_true")
    parser.add_argument(
        "--only-load-comparison", action="store_true",
        help="the load comparison alone: no province sizes (--sizes is ignored)",
    )
    parser.add_argument(
        "--load-repeat", type=int, default=1,
        help="repeats of the load comparison; its figures are the medians (default 1)",
    )
    parser.add_argument("--out", default=str(bench_dir() / "results.csv"))
    args = parser.parse_args(argv)
    if args.only_load_comparison and args.no_load_comparison:
        parser.error("--only-load-comparison and --no-load-comparison exclude each other")
    if args.load_repeat < 1:
        parser.error("--load-repeat must be at least 1")

    server = warehouse_url()
    out = Path(args.out)
    all_rows: list[dict] = []
    results = []
    for size in [] if args.only_load_comparison else args.sizes:
        result = bench_size(
            server, size, thirteen=not args.no_thirteen, history=args.history,
            load_workers=args.load_workers,
        )
        results.append(result)
        rows = figures_rows(result)
        all_rows.extend(rows)
        print_table(size, rows)
        for row in rows:
            nodes = slowest_dbt_nodes(size, row["month"])
            if nodes:
                print(f"  slowest dbt nodes, {row['run']}: "
                      + ", ".join(f"{n} {t:.1f}s" for n, t in nodes))
        first, last = result["first"], result["thirteenth"]
        if last is not None and first.total:
            print(f"  {last.label} / month 1 = {last.total / first.total:.2f}")
        write_csv(out, all_rows)  # after every size: a long run keeps what it measured

    load = None
    if not args.no_load_comparison:
        load = load_comparison(server, args.load_rows, args.load_repeat)
        print_load(load)
        write_csv(out.with_name(out.stem + "-load.csv"), [load_row(load)])
    targets = target_rows(results, load)
    print_targets(targets)
    write_csv(out.with_name(out.stem + "-targets.csv"), targets)
    if args.only_load_comparison:
        print(f"\nfigures written to {out.with_name(out.stem + '-load.csv')}"
              " (and -targets.csv beside it)")
    else:
        print(f"\nfigures written to {out} (and -load.csv, -targets.csv beside it)")
    return 0


def print_table(size: int, rows: list[dict]) -> None:
    print(f"\n== {size:,} households ==")
    keys = [k for r in rows for k in r]
    keys = list(dict.fromkeys(keys))  # first-seen order: size, run, month, stages, figures
    width = max(len(k) for k in keys)
    for key in keys:
        values = "  ".join(f"{r.get(key, ''):>14}" for r in rows)
        print(f"  {key.ljust(width)}  {values}")


def load_row(load: dict) -> dict:
    """The load comparison as one flat row: rates, the ratio of the target and, for
    information, the speed against ``to_sql``."""
    row: dict = {"rows": load["rows"], "file_mb": load.get("file_mb"),
                 "repeat": load.get("repeat", 1)}
    for method in LOAD_METHODS:
        figures = load.get(method) or {}
        row[f"{method}_rows_per_s"] = figures.get("rows_per_s")
        row[f"{method}_rows"] = figures.get("rows")
    row["loader_analyze_s"] = (load.get("loader") or {}).get("analyze_seconds")
    loader = row["loader_rows_per_s"] or 0
    copy, to_sql = row["psql_copy_rows_per_s"], row["pandas_to_sql_rows_per_s"]
    # loader_vs_copy: how many times the \copy floor's time the loader takes (LOAD_VS_COPY_MAX),
    # the median of the repeats' ratios; loader_vs_to_sql: how many times faster than to_sql
    # the loader is (no target since issue 17).
    row["loader_vs_copy"] = load.get("loader_vs_copy") or (
        round(copy / loader, 2) if copy and loader else None
    )
    runs = load.get("loader_vs_copy_runs")
    row["loader_vs_copy_runs"] = " ".join(str(r) for r in runs) if runs else None
    row["loader_vs_to_sql"] = round(loader / to_sql, 1) if to_sql else None
    return row


def print_load(load: dict) -> None:
    row = load_row(load)
    repeat = load.get("repeat", 1)
    medians = f", medians of {repeat} repeats" if repeat > 1 else ""
    print(f"\nLoad of one clean education file, {load['rows']:,} rows ({load.get('file_mb')} MB"
          f"{medians}):")
    for method in LOAD_METHODS:
        figures = load.get(method)
        if figures:
            print(f"  {method:<18} {figures['rows_per_s']:>12,} rows/s"
                  f"  ({figures['rows']:,} rows in {figures['seconds']} s)")
    analyze = (load.get("loader") or {}).get("analyze_seconds")
    if analyze is not None:
        print(f"  (the loader's time includes its ANALYZE of raw.education: {analyze} s)")
    runs = f" (repeats: {row['loader_vs_copy_runs']})" if repeat > 1 else ""
    print(f"  loader / psql \\copy time: {row['loader_vs_copy']}x"
          f" (target <= {LOAD_VS_COPY_MAX}){runs}")
    print(f"  loader is {row['loader_vs_to_sql']}x faster than DataFrame.to_sql"
          " (for information, no target: issue 17 retired it; to_sql timed on a sample)")


def target_rows(results: list[dict], load: dict | None) -> list[dict]:
    """Every target, for every size measured (the issue states them for 1,000,000)."""
    rows = []

    def add(size: int | str, target: str, value: float | None, ok: bool | None, limit: str):
        verdict = "n/a" if ok is None else ("met" if ok else "MISSED")
        rows.append({"size": size, "target": target, "value": value, "limit": limit,
                     "verdict": verdict})

    for result in results:
        size, first, last = result["size"], result["first"], result["thirteenth"]
        total = round(first.total, 1)
        add(size, "month 1 total seconds", total, first.total < MONTH_LIMIT_S,
            f"< {MONTH_LIMIT_S}")
        add(size, "month 1 total seconds (goal)", total, first.total < MONTH_GOAL_S,
            f"< {MONTH_GOAL_S}")
        share = first.seconds.get("audit", 0) / first.total if first.total else None
        add(size, "audit share of month 1", None if share is None else round(share, 3),
            None if share is None else share < AUDIT_SHARE_MAX, f"< {AUDIT_SHARE_MAX}")
        if last is not None and first.total:
            ratio = round(last.total / first.total, 2)
            add(size, f"{last.label} / month 1", ratio, ratio <= THIRTEEN_VS_ONE_MAX,
                f"<= {THIRTEEN_VS_ONE_MAX}" + ("" if last.label == "month 13"
                                               else f" (history {result['history']} months)"))
        peak = result["peak_python_mib"]
        add(size, "peak Python MiB", peak, peak < PEAK_MIB_MAX, f"< {PEAK_MIB_MAX}")
    if load is not None:
        row = load_row(load)
        vs_copy = row["loader_vs_copy"]
        add(f"load {load['rows']:,} rows", "loader time / psql \\copy time", vs_copy,
            None if vs_copy is None else vs_copy <= LOAD_VS_COPY_MAX, f"<= {LOAD_VS_COPY_MAX}")
    return rows


def print_targets(rows: list[dict]) -> None:
    print("\nTargets (issue 7 states them for 1,000,000 households):")
    for r in rows:
        print(f"  {str(r['size']):>22}  {r['target']:<34} {str(r['value']):>10}"
              f"  {r['limit']:<10} {r['verdict']}")


if __name__ == "__main__":
    raise SystemExit(main())
