"""``python -m fangpin.bench --sizes 10000 100000 1000000``: print and save the figures."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from fangpin.bench.run import bench_dir, bench_size, figures_rows, load_comparison, write_csv
from fangpin.warehouse.connection import warehouse_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fangpin.bench")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--no-thirteen", action="store_true", help="month 1 only")
    parser.add_argument("--load-rows", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(bench_dir() / "results.csv"))
    args = parser.parse_args(argv)

    server = warehouse_url()
    all_rows = []
    for size in args.sizes:
        result = bench_size(server, size, thirteen=not args.no_thirteen)
        rows = figures_rows(result)
        all_rows.extend(rows)
        print_table(size, rows)
        first, thirteenth = result["first"], result["thirteenth"]
        if thirteenth is not None and first.total:
            print(f"  month 13 / month 1 = {thirteenth.total / first.total:.2f}")
    load = load_comparison(server, args.load_rows)
    print("\nLoad of one clean feed file against the floor and a hand-rolled pipeline:")
    for key, value in load.items():
        print(f"  {key}: {value}")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    write_csv(Path(args.out), all_rows)
    print(f"\nfigures written to {args.out} ({stamp})")
    return 0


def print_table(size: int, rows: list[dict]) -> None:
    print(f"\n== {size:,} households ==")
    keys = sorted({k for r in rows for k in r})
    width = max(len(k) for k in keys)
    for key in keys:
        values = "  ".join(f"{r.get(key, ''):>14}" for r in rows)
        print(f"  {key.ljust(width)}  {values}")


if __name__ == "__main__":
    raise SystemExit(main())
