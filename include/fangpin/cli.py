"""The ``fangpin`` command: one sub-command per user task, each a thin call into the package."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from fangpin.domain import months
from fangpin.domain.months import parse_month

if TYPE_CHECKING:
    from fangpin.pipeline.console import Console


def month_range(text: str) -> list[date]:
    """``2021-01..2021-12`` (or a single ``2021-03``) → the first days of those months."""
    try:
        return months.month_range(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


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
    from fangpin.warehouse.connection import redacted

    wh = embedded.default()
    if args.action == "start":
        print(redacted(wh.start()))  # `fangpin warehouse url` gives it with the password
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
    from fangpin.pipeline.setup import ensure_warehouse
    from fangpin.warehouse.connection import redacted, warehouse_url

    url = warehouse_url()
    ensure_warehouse(url)
    print(f"warehouse ready: {redacted(url)}")
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
    print(
        f"synth: {summary.households:,} households, {summary.persons:,} people, months "
        f"{summary.months[0]}..{summary.months[-1]}: {summary.files_written} files "
        f"({summary.invalid_rows} invalid rows planted) in {summary.out}, "
        f"the truth in {summary.truth} ({summary.seconds:.1f} s)"
    )
    return 0


#: Exit codes of ``fangpin run`` (README, "Exit codes"); 4 belongs to ``--strict``.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_REJECTED, EXIT_UNREACHABLE = 0, 1, 2, 3, 4, 5


def cmd_run(args: argparse.Namespace) -> int:
    from fangpin.pipeline.run_months import landing_months

    landing = Path(args.landing)
    found = landing_months(landing)
    months = [m for m in found if not args.months or m in args.months]
    if not months:
        print(f"no month folders (YYYY-MM) to run in {landing}", file=sys.stderr)
        return EXIT_USAGE
    from fangpin.pipeline.console import run_console

    # The libraries' lines (Airflow's task runner, dbt, Great Expectations, warnings) go to
    # the run's log file; the terminal gets the stage lines (fangpin.pipeline.console).
    with run_console(verbose=args.verbose) as console:
        try:
            return _run(console, landing, args.months, None if args.wait else 0, args.strict)
        except KeyboardInterrupt:
            console.error("fangpin run stopped: interrupted")
            return EXIT_FAILED


def _run(
    console: Console, landing: Path, selected: list[date] | None,
    wait_seconds: float | None, strict: bool,
) -> int:
    """``fangpin run`` with every way it can stop turned into one line and an exit code."""
    from fangpin.pipeline.plan import PlanError
    from fangpin.pipeline.run_months import MonthFailed, one_line, run_landing
    from fangpin.warehouse.writer_lock import WarehouseBusy

    def stopped(message: str, code: int) -> int:
        console.error(f"the libraries' log of this run: {console.path}")
        console.error(f"fangpin run stopped: {message}")
        return code

    try:
        from fangpin.warehouse.connection import redacted, warehouse_url

        url = warehouse_url()
        console.say(f"fangpin run against {redacted(url)}")
        console.say(f"log file: {console.path} (Airflow, dbt, Great Expectations; "
                    "fangpin run -v shows them here too)")
        outcomes = run_landing(url, landing, selected, wait_seconds, say=console.say)
    except MonthFailed as failure:
        return stopped(str(failure), EXIT_FAILED)
    except WarehouseBusy as busy:
        return stopped(f"{busy} (or run with --wait)", EXIT_BUSY)
    except PlanError as error:
        return stopped(str(error), EXIT_FAILED)
    except Exception as exc:  # noqa: BLE001 - every fault ends in one line, never a traceback
        logging.getLogger("fangpin").error("fangpin run stopped", exc_info=True)
        where = _where()
        if _lost_warehouse(exc):
            return stopped(
                f"{where}the warehouse stopped answering ({one_line(str(_root(exc)))}); "
                "nothing half-done was kept: start it again, then rerun", EXIT_UNREACHABLE,
            )
        return stopped(f"{where}{type(exc).__name__}: {one_line(str(exc))}", EXIT_FAILED)
    rejected = sum(len(o.rejections) for o in outcomes)
    if rejected and strict:
        console.error(f"fangpin run --strict: {rejected} file(s) rejected (listed above); "
                      "every month was published from the deliveries in force")
        return EXIT_REJECTED
    return EXIT_OK


def _where() -> str:
    from fangpin.pipeline.monthly import current_stage

    current = current_stage()
    return f"{current[0]:%Y-%m}, stage {current[1]}: " if current else ""


def _root(exc: BaseException) -> BaseException:
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return exc


def _lost_warehouse(exc: BaseException) -> bool:
    """Whether the error, or one it came from, is a lost or refused connection."""
    import psycopg

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, psycopg.OperationalError) and not isinstance(
            seen, psycopg.errors.LockNotAvailable
        ):
            return True
        if type(seen).__module__.startswith("sqlalchemy") and type(seen).__name__ in (
            "OperationalError", "InterfaceError"
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def cmd_audit(args: argparse.Namespace) -> int:
    from fangpin.audit import run_audit
    from fangpin.warehouse.connection import warehouse_url
    from fangpin.warehouse.writer_lock import writer_lock

    url = warehouse_url()
    with writer_lock(url, f"fangpin audit {args.month:%Y-%m}", wait_seconds=args.wait):
        outcome = run_audit(url, args.month, run_id=f"cli-audit-{args.month:%Y-%m}")
    print(outcome)
    return 0 if outcome.passed else 1


def cmd_publish(args: argparse.Namespace) -> int:
    from fangpin.publish import publish, rollback
    from fangpin.warehouse.connection import warehouse_url
    from fangpin.warehouse.writer_lock import writer_lock

    url = warehouse_url()
    if not args.rollback and args.month is None:
        print("give --month M to publish the audited build, or --rollback", file=sys.stderr)
        return 2
    what = "fangpin publish --rollback" if args.rollback else f"fangpin publish {args.month:%Y-%m}"
    with writer_lock(url, what, wait_seconds=args.wait):
        if args.rollback:
            print(rollback(url))
        else:
            print(publish(url, args.month, run_id=f"cli-publish-{args.month:%Y-%m}"))
    return 0


def cmd_status(_args: argparse.Namespace) -> int:
    from fangpin.pipeline.status import status
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
    from fangpin.report.scorecard import require_published
    from fangpin.warehouse.connection import warehouse_url

    url = warehouse_url()
    require_published(url, args.month)
    path = write_report(url, args.month, Path(args.out))
    print(f"report written: {path}")
    if args.pdf:
        from fangpin.report import ChromiumMissing, write_pdf

        try:
            pdf = write_pdf(path, path.with_suffix(".pdf"))
        except ChromiumMissing as missing:
            print(f"fangpin report: {missing}", file=sys.stderr)
            return EXIT_FAILED
        print(f"report printed (A4): {pdf}")
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    """The bureau's policy tables: list, show, export and import (validated whole)."""
    from fangpin.pipeline.setup import ensure_seeds
    from fangpin.policy import TABLES, PolicyInvalid, store
    from fangpin.warehouse.connection import connect, warehouse_url

    url = warehouse_url()
    try:
        ensure_seeds(url)  # the shipped defaults and the counties, before any month was built
        if args.action == "import":
            source = store.import_policy(url, args.name, Path(args.file))
            print(f"{args.name}: {source.describe()}; in force from the next build of a month")
            return 0
        if args.action == "export":
            source = store.export_policy(url, args.name, Path(args.file))
            print(f"{args.name} ({source.describe()}) written to {args.file}")
            return 0
        if args.action == "reset":
            source = store.reset_policy(url, args.name)
            print(f"{args.name}: {source.describe()}; in force from the next build of a month")
            return 0
        with connect(url) as conn:
            if args.action == "list":
                for name, table in TABLES.items():
                    print(f"{name:22} {store.in_force(conn, name).describe()}")
                    print(f"{'':22} {table.description}")
                recent = store.imports(conn, limit=10)
                if recent:
                    print("\nrecent imports:")
                    for at, name, status, file_name, checksum, rows, error in recent:
                        detail = f"{rows} rows" if status == "imported" else error
                        print(f"  {at:%Y-%m-%d %H:%M}  {name}  {status}  {file_name}  "
                              f"sha256 {checksum}  {detail}")
                print("\nevaluators read every parameter in force, by year, in marts.dim_policy "
                      "(rebuilt with each month)")
                return 0
            source, rows = store.read_rows(conn, args.name)
        print(f"{args.name}: {source.describe()}")
        print(",".join(TABLES[args.name].column_names))
        for row in rows:
            print(",".join("" if v is None else str(v) for v in row))
        return 0
    except PolicyInvalid as exc:
        print(f"fangpin policy {args.action}: rejected, nothing changed: {exc}", file=sys.stderr)
        return 1


def cmd_airflow(args: argparse.Namespace) -> int:
    """Airflow with Fangpin's configuration: ``init``, ``standalone``, ``worker`` or any command."""
    from fangpin.orchestration.airflow_cli import main as airflow_main

    return airflow_main(list(args.airflow_args))


def cmd_login(args: argparse.Namespace) -> int:
    """A login in a reader role; its password goes to a 0600 file, never to the terminal."""
    from fangpin.pipeline.setup import ensure_warehouse
    from fangpin.warehouse.connection import warehouse_url
    from fangpin.warehouse.logins import create_login

    url = warehouse_url()
    ensure_warehouse(url)
    login = create_login(url, args.role, args.name)
    if args.psql:
        print(login.psql)
    else:
        print(f"login {login.name} (member of {login.role}); password in {login.passfile}")
        print(f"  {login.psql}")
    return 0


def cmd_key(_args: argparse.Namespace) -> int:
    """Where the pseudonym key comes from and whether it matches: never the key itself."""
    from fangpin.config import configured_pseudonym_key
    from fangpin.warehouse.connection import warehouse_url
    from fangpin.warehouse.pseudonym_key import PseudonymKeyError, ensure_key_matches, recorded_key

    url = warehouse_url()
    recorded = recorded_key(url)
    if recorded is None:
        print("no pseudonym key recorded yet: `fangpin setup` generates one")
        return 1
    where = recorded.key_file if recorded.source == "generated" else "FANGPIN_PSEUDONYM_KEY"
    print(f"pseudonym key: {recorded.source}, kept in {where}")
    if configured_pseudonym_key():
        print("this process: FANGPIN_PSEUDONYM_KEY is set")
    try:
        ensure_key_matches(url)
    except PseudonymKeyError as exc:
        print(f"MISMATCH: {exc}", file=sys.stderr)
        return 1
    print("this process's key matches the warehouse's fingerprint")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fangpin", description=(__doc__ or "").replace("``", ""))
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show the libraries' own log lines (Airflow, dbt, Great Expectations)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("warehouse", help="the embedded PostgreSQL (when WAREHOUSE_URL is unset)")
    p.add_argument("action", choices=["start", "stop", "status", "url"],
                   help="start or stop the cluster, show its state, or print its URL")
    p.set_defaults(func=cmd_warehouse)

    p = sub.add_parser("setup", help="create schemas, ops tables, raw tables and roles")
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("synth", help="write a generated province's feeds into a landing area")
    p.add_argument("--households", type=int, default=3000, help="households in the province")
    p.add_argument("--months", type=month_range, default=month_range("2021-01..2021-03"),
                   help="months to write, YYYY-MM or A..B")
    p.add_argument("--seed", type=int, default=20211, help="the same seed writes the same files")
    p.add_argument("--messy", type=float, default=0.0, help="share of messy forms, 0..1")
    p.add_argument("--out", required=True, help="the landing area to write")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("run", help="run fangpin_monthly for each month of a landing area")
    p.add_argument("--landing", required=True, help="landing area: <YYYY-MM>/<feed>/ files")
    p.add_argument("--months", type=month_range, default=None,
                   help="only these months (YYYY-MM or A..B), rebuilt even if unchanged")
    p.add_argument("--wait", action="store_true",
                   help="wait for another writer to finish instead of stopping (exit 3)")
    p.add_argument(
        "--strict", action="store_true",
        help=f"exit {EXIT_REJECTED} when any file was rejected (the months are still published)",
    )
    p.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="show the libraries' lines here too (they always go to the log file)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("audit", help="run the quality gate on the build alone")
    p.add_argument("--month", type=_month, required=True, help="the month built, YYYY-MM")
    p.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                   help="give up after this long if another writer holds the warehouse")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("publish", help="publish the audited build, or roll back")
    p.add_argument("--month", type=_month, help="the month of the audited build, YYYY-MM")
    p.add_argument("--rollback", action="store_true",
                   help="put the previous marts back (run twice: forward again)")
    p.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                   help="give up after this long if another writer holds the warehouse")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("status", help="the last loads, audits and publishes")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("scorecard", help="print the published county scorecard")
    p.add_argument("--month", type=_month, default=None,
                   help="a published month, YYYY-MM (default: the latest)")
    p.add_argument("--limit", type=int, default=40, help="at most this many counties")
    p.set_defaults(func=cmd_scorecard)

    p = sub.add_parser("report", help="write the HTML evaluation report (and --pdf, A4 pages)")
    p.add_argument("--month", type=_month, required=True, help="a published month, YYYY-MM")
    p.add_argument("--out", default="out/report.html", help="file or folder to write")
    p.add_argument("--pdf", action="store_true",
                   help="also print it to A4 pages beside the HTML (same name, .pdf), "
                   "with headless chromium")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("login", help="create a login in a reader role (password in a 0600 file)")
    p.add_argument("role", help="evaluator, bi_reader or field_team_<city_code>")
    p.add_argument("name", help="the login's user name")
    p.add_argument("--psql", action="store_true", help="print only the psql line")
    p.set_defaults(func=cmd_login)

    p = sub.add_parser("key", help="where the pseudonym key lives and whether this process has it")
    p.set_defaults(func=cmd_key)

    p = sub.add_parser("policy", help="the bureau's policy tables: list, show, export, import")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="each policy table, and whether it is imported or shipped")
    for action, text in (("show", "print the table in force"),
                         ("reset", "drop the import: the shipped seed is in force again")):
        a = actions.add_parser(action, help=text)
        a.add_argument("name", help="a policy table (fangpin policy list)")
    for action, text in (("export", "write the table in force as CSV"),
                         ("import", "validate a CSV whole and make it the table in force")):
        a = actions.add_parser(action, help=text)
        a.add_argument("name", help="a policy table (fangpin policy list)")
        a.add_argument("file", help="CSV file")
    p.set_defaults(func=cmd_policy)

    p = sub.add_parser(
        "airflow",
        help="Airflow with Fangpin's configuration: init | standalone [--port P] | "
        "worker --name N --log-port P | any airflow command",
    )
    p.add_argument("airflow_args", nargs=argparse.REMAINDER, help="the airflow command")
    p.set_defaults(func=cmd_airflow)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from fangpin.report.scorecard import MonthNotPublished
    from fangpin.warehouse.writer_lock import WarehouseBusy

    try:
        return int(args.func(args) or 0)
    except WarehouseBusy as busy:
        print(f"fangpin {args.command} stopped: {busy}", file=sys.stderr)
        return EXIT_BUSY
    except MonthNotPublished as missing:
        print(f"fangpin {args.command}: {missing}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        # `fangpin scorecard | head`: the reader has gone; say nothing more, not even at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
