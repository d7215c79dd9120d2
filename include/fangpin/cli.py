"""The ``fangpin`` command: one sub-command per user task, each a thin call into the package."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from fangpin.monthly import parse_month


def month_range(text: str) -> list[date]:
    """``2021-01..2021-12`` (or a single ``2021-03``) → the first days of those months."""
    start_text, _, end_text = text.partition("..")
    start = parse_month(start_text)
    end = parse_month(end_text) if end_text else start
    if end < start:
        raise argparse.ArgumentTypeError(f"month range runs backwards: {text}")
    months, current = [], start
    while current <= end:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def _month(text: str) -> date:
    try:
        return parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_warehouse(args: argparse.Namespace) -> int:
    from fangpin.config import configured_warehouse_url
    from fangpin.warehouse import embedded

    if configured_warehouse_url() and args.action != "url":
        print(f"WAREHOUSE_URL is set: the embedded warehouse is not used ({args.action} skipped)")
        return 0
    wh = embedded.default()
    if args.action == "start":
        print(wh.start())
    elif args.action == "stop":
        wh.stop()
        print("stopped")
    elif args.action == "status":
        print(wh.status())
    else:
        from fangpin.warehouse.connection import warehouse_url

        print(warehouse_url())
    return 0


def cmd_setup(_args: argparse.Namespace) -> int:
    from fangpin.warehouse.connection import warehouse_url
    from fangpin.warehouse.setup import ensure_warehouse

    url = warehouse_url()
    ensure_warehouse(url)
    print(f"warehouse ready: {url}")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from fangpin.synth import write_province

    summary = write_province(
        Path(args.out),
        households=args.households,
        months=args.months,
        seed=args.seed,
        messy=args.messy,
    )
    print(summary)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from fangpin.orchestration.run_months import MonthFailed, landing_months, run_months
    from fangpin.warehouse.connection import warehouse_url

    landing = Path(args.landing)
    found = landing_months(landing)
    months = [m for m in found if not args.months or m in args.months]
    if not months:
        print(f"no month folders (YYYY-MM) to run in {landing}", file=sys.stderr)
        return 2
    url = warehouse_url()
    print(f"running fangpin_monthly for {len(months)} month(s) against {url}", flush=True)
    try:
        run_months(url, landing, months)
    except MonthFailed as failure:
        print(f"fangpin run stopped: {failure}", file=sys.stderr)
        return 1
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from fangpin.audit import run_audit
    from fangpin.warehouse.connection import warehouse_url

    outcome = run_audit(warehouse_url(), args.month, run_id=f"cli-audit-{args.month:%Y-%m}")
    print(outcome)
    return 0 if outcome.passed else 1


def cmd_publish(args: argparse.Namespace) -> int:
    from fangpin.publish import publish, rollback
    from fangpin.warehouse.connection import warehouse_url

    url = warehouse_url()
    if args.rollback:
        print(rollback(url))
        return 0
    if args.month is None:
        print("give --month M to publish the audited build, or --rollback", file=sys.stderr)
        return 2
    print(publish(url, args.month, run_id=f"cli-publish-{args.month:%Y-%m}"))
    return 0


def cmd_status(_args: argparse.Namespace) -> int:
    from fangpin.audit import status
    from fangpin.warehouse.connection import warehouse_url

    print(status(warehouse_url()))
    return 0


def cmd_scorecard(args: argparse.Namespace) -> int:
    from fangpin.report.scorecard import print_scorecard
    from fangpin.warehouse.connection import warehouse_url

    print_scorecard(warehouse_url(), args.month, limit=args.limit)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from fangpin.report import write_report
    from fangpin.warehouse.connection import warehouse_url

    path = write_report(warehouse_url(), args.month, Path(args.out))
    print(f"report written: {path}")
    return 0


def cmd_airflow(args: argparse.Namespace) -> int:
    """Airflow with Fangpin's configuration: ``init``, ``standalone``, ``worker`` or any command."""
    from fangpin.orchestration.airflow_cli import main as airflow_main

    return airflow_main(list(args.airflow_args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fangpin", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("warehouse", help="the embedded PostgreSQL (when WAREHOUSE_URL is unset)")
    p.add_argument("action", choices=["start", "stop", "status", "url"])
    p.set_defaults(func=cmd_warehouse)

    p = sub.add_parser("setup", help="create schemas, ops tables, raw tables and roles")
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("synth", help="write a generated province's feeds into a landing area")
    p.add_argument("--households", type=int, default=3000)
    p.add_argument("--months", type=month_range, default=month_range("2021-01..2021-03"))
    p.add_argument("--seed", type=int, default=20211)
    p.add_argument("--messy", type=float, default=0.0, help="share of messy forms, 0..1")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("run", help="run fangpin_monthly for each month of a landing area")
    p.add_argument("--landing", required=True)
    p.add_argument("--months", type=month_range, default=None)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("audit", help="run the quality gate on the build alone")
    p.add_argument("--month", type=_month, required=True)
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("publish", help="publish the audited build, or roll back")
    p.add_argument("--month", type=_month)
    p.add_argument("--rollback", action="store_true")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("status", help="the last loads, audits and publishes")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("scorecard", help="print the published county scorecard")
    p.add_argument("--month", type=_month, default=None)
    p.add_argument("--limit", type=int, default=40)
    p.set_defaults(func=cmd_scorecard)

    p = sub.add_parser("report", help="write the HTML evaluation report")
    p.add_argument("--month", type=_month, required=True)
    p.add_argument("--out", default="out/report.html")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "airflow",
        help="Airflow with Fangpin's configuration: init | standalone [--port P] | "
        "worker --name N --log-port P | any airflow command",
    )
    p.add_argument("airflow_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_airflow)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
