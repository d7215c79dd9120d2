"""``python -m benchmarks --sizes 10000 100000 1000000``: print and save the figures."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.run import (
    bench_dir,
    bench_size,
    figures_rows,
    history_rows,
    load_comparison,
    slowest_dbt_nodes,
    write_csv,
)
from fangpin.warehouse.connection import warehouse_url

# Issue 17's targets, stated for 1,000,000 households (month 61 for 100,000); every size
# measured is marked against them. The "20x faster than to_sql" target of issue 7 is retired:
# it is faster than psql \copy itself on this machine, and \copy is the floor.
MONTH_ONE_MAX_S = 150
LATER_VS_ONE_MAX = 1.1
AUDIT_SHARE_MAX = 0.15
LOAD_VS_COPY_MAX = 1.5
PEAK_MIB_MAX = 2048
#: The load comparison's methods, as benchmarks.load.bench_load names them, in print order.
LOAD_METHODS = ("loader", "psql_copy", "psycopg_copy_file", "pandas_to_sql")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--months", type=int, nargs="+", default=None, metavar="N",
        help="the months timed, by ordinal (default 1 13; 1 13 61 for five years of history);"
        " every month up to the last is run",
    )
    parser.add_argument("--no-thirteen", action="store_true", help="month 1 only")
    parser.add_argument(
        "--history", type=int, default=None,
        help="months run between month 1 and the last timed month (11: months 2-12, then 13)",
    )
    stream = parser.add_mutually_exclusive_group()
    stream.add_argument(
        "--stream", action="store_true", default=None,
        help="generate the province month by month and remove each month behind the run"
        " (default: above 1.3 million household-months with no cached province)",
    )
    stream.add_argument("--no-stream", dest="stream", action="store_false")
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
    timed = timed_months(args, parser)
    if args.only_load_comparison and args.no_load_comparison:
        parser.error("--only-load-comparison and --no-load-comparison exclude each other")
    if args.load_repeat < 1:
        parser.error("--load-repeat must be at least 1")

    server = warehouse_url()
    out = Path(args.out)
    all_rows: list[dict] = []
    all_history: list[dict] = []
    results = []
    for size in [] if args.only_load_comparison else args.sizes:
        print(f"\n{size:,} households, months 1-{timed[-1]} (timed: "
              + ", ".join(f"month {n}" for n in timed) + ")", flush=True)
        result = bench_size(
            server, size, timed, load_workers=args.load_workers, stream=args.stream,
        )
        results.append(result)
        rows = figures_rows(result)
        all_rows.extend(rows)
        all_history.extend(history_rows(result))
        print_table(size, rows)
        for row in rows:
            nodes = slowest_dbt_nodes(size, row["month"])
            if nodes:
                print(f"  slowest dbt nodes, {row['run']}: "
                      + ", ".join(f"{n} {t:.1f}s" for n, t in nodes))
        first = result["timed"][0]
        for later in result["timed"][1:]:
            if first.total:
                print(f"  {later.label} / month 1 = {later.total / first.total:.2f}"
                      f" (target <= {LATER_VS_ONE_MAX})")
        print(f"  the run took {result['wall_seconds']:,.0f} s end to end, generation"
              f" ({result['generate_seconds']:,.0f} s"
              + (", month by month" if result["streamed"] else "") + ") included")
        write_csv(out, all_rows)  # after every size: a long run keeps what it measured
        write_csv(out.with_name(out.stem + "-history.csv"), all_history)

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
        print(f"\nfigures written to {out} (and -history.csv, -load.csv, -targets.csv beside it)")
    return 0


def timed_months(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[int]:
    """The ordinals of the months timed: ``--months``, or the older ``--history``/
    ``--no-thirteen`` shorthands (``--history H`` times month 1 and month H + 2)."""
    if args.months is not None and (args.history is not None or args.no_thirteen):
        parser.error("--months replaces --history and --no-thirteen: give one of them")
    if args.months is not None:
        timed = sorted(set(args.months))
        if timed[0] != 1:
            parser.error("the timed months start with month 1 (the empty warehouse)")
        return timed
    if args.no_thirteen:
        return [1]
    history = 11 if args.history is None else args.history
    if history < 0:
        parser.error("--history is a number of months, 0 or more")
    return [1, history + 2]


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
    """Every target of issue 17, for every size measured (it states them for 1,000,000
    households, and month 61 for 100,000)."""
    rows = []

    def add(size: int | str, target: str, value: float | None, ok: bool | None, limit: str):
        verdict = "n/a" if ok is None else ("met" if ok else "MISSED")
        rows.append({"size": size, "target": target, "value": value, "limit": limit,
                     "verdict": verdict})

    for result in results:
        size, first = result["size"], result["timed"][0]
        total = round(first.total, 1)
        add(size, "month 1 total seconds", total, first.total <= MONTH_ONE_MAX_S,
            f"<= {MONTH_ONE_MAX_S}")
        for later in result["timed"][1:]:
            ratio = round(later.total / first.total, 2) if first.total else None
            add(size, f"{later.label} / month 1", ratio,
                None if ratio is None else ratio <= LATER_VS_ONE_MAX, f"<= {LATER_VS_ONE_MAX}")
        for month in result["timed"]:
            share = month.seconds.get("audit", 0) / month.total if month.total else None
            add(size, f"audit share of {month.label}",
                None if share is None else round(share, 3),
                None if share is None else share <= AUDIT_SHARE_MAX, f"<= {AUDIT_SHARE_MAX}")
        peak = result["peak_python_mib"]
        add(size, "peak Python MiB", peak, peak < PEAK_MIB_MAX, f"< {PEAK_MIB_MAX}")
        add(size, f"run of months 1-{len(result['months'])}, seconds end to end",
            result["wall_seconds"], None, "(generation included)")
    if load is not None:
        row = load_row(load)
        vs_copy = row["loader_vs_copy"]
        add(f"load {load['rows']:,} rows", "loader time / psql \\copy time", vs_copy,
            None if vs_copy is None else vs_copy <= LOAD_VS_COPY_MAX, f"<= {LOAD_VS_COPY_MAX}")
    return rows


def print_targets(rows: list[dict]) -> None:
    print("\nTargets (issue 17 states them for 1,000,000 households; month 61 for 100,000):")
    for r in rows:
        print(f"  {str(r['size']):>22}  {r['target']:<44} {str(r['value']):>10}"
              f"  {r['limit']:<10} {r['verdict']}")


if __name__ == "__main__":
    raise SystemExit(main())
