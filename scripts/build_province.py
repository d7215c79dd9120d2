#!/usr/bin/env python3
"""Build a generated province into a fresh database and publish every month, without Airflow.

Why: ``scripts/compare_marts.py`` compares the marts of two builds of the same province, one
with the code before a change and one with the code after. This builds one side the way
``tests/e2e/conftest.py`` does (synth → ensure_warehouse → load → dbt build → audit → publish,
month by month), with the code of the checkout whose ``.venv`` runs it. Give both builds the
same ``FANGPIN_PSEUDONYM_KEY`` (each warehouse would otherwise generate its own key, and every
pseudonym would differ)::

    export FANGPIN_PSEUDONYM_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
    (cd ../before && .venv/bin/python scripts/build_province.py postgresql://…/cmp_before /tmp/b)
    .venv/bin/python scripts/build_province.py postgresql://…/cmp_after /tmp/after
    .venv/bin/python scripts/compare_marts.py postgresql://…/cmp_before postgresql://…/cmp_after

The run ids are fixed (``cmp-YYYYMM``) so that ``dim_month.built_by_run_id`` is the same on both
sides. The database is created if missing and left in place (drop it when done).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path


def months_of(spec: str) -> list[date]:
    """``2021-01..2021-03`` → the first days of those months, in order."""
    from fangpin.domain.months import month_range

    return month_range(spec)


def build(url: str, root: Path, months: list[date], households: int, seed: int,
          messy: float) -> None:
    """Generate the province under ``root``, then load, build, audit and publish each month."""
    root.mkdir(parents=True, exist_ok=True)
    # dbt's target and logs with the build, not in the checkout (as the e2e tests do).
    os.environ["DBT_TARGET_PATH"] = str(root / "dbt-target")
    os.environ["DBT_LOG_PATH"] = str(root / "dbt-logs")

    from fangpin.audit import run_audit
    from fangpin.config import expectations_dir
    from fangpin.load import discover, load_feed_month
    from fangpin.pipeline.setup import ensure_warehouse
    from fangpin.publish import publish
    from fangpin.synth import write_province
    from fangpin.transform.dbt import dbt_build
    from fangpin.warehouse.connection import ensure_database

    landing, gx_dir = root / "landing", root / "gx"
    for folder in (landing, gx_dir):
        shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(expectations_dir(), gx_dir)  # the audit writes its results here
    write_province(landing, households=households, months=months, seed=seed, messy=messy)
    ensure_database(url)
    ensure_warehouse(url)
    for month, feeds in discover(landing).items():
        for feed in feeds:
            load_feed_month(url, landing, month, feed, run_id=f"cmp-{month:%Y%m}")
    for month in months:
        run_id = f"cmp-{month:%Y%m}"
        dbt_build(url, month, run_id=run_id)
        outcome = run_audit(url, month, run_id, gx_dir=gx_dir, docs=False)
        if not outcome.passed:
            raise SystemExit(f"audit failed for {month:%Y-%m}: {outcome}")
        publish(url, month, run_id)
        print(f"published {month:%Y-%m}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and build."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="warehouse URL of the database to build into")
    parser.add_argument("root", type=Path, help="folder for the landing area, dbt target, GX")
    parser.add_argument("--months", default="2021-01..2021-03")
    parser.add_argument("--households", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--messy", type=float, default=0.05)
    args = parser.parse_args(argv)
    if not os.environ.get("FANGPIN_PSEUDONYM_KEY"):
        print("set FANGPIN_PSEUDONYM_KEY (the same for both builds you compare)", file=sys.stderr)
        return 2
    build(args.url, args.root, months_of(args.months), args.households, args.seed, args.messy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
