"""``python -m fangpin_bi start|stop|status``: what ``make bi`` and ``make bi-stop`` call.

Exit codes: 0 done; 1 Superset failed to start (the message names the step and the log);
2 a dataset the BI login may not read, or a dashboard file that does not build.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from fangpin.warehouse.connection import warehouse_url
from fangpin_bi.service import ADMIN, REPO, Service, StartFailed
from fangpin_bi.spec import SpecError
from fangpin_bi.warehouse import DatasetRefused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fangpin_bi", description=__doc__)
    parser.add_argument("command", choices=("start", "stop", "status"))
    parser.add_argument("--state", type=Path, default=REPO / ".bi",
                        help="state folder (secrets, pid, log); default .bi in the checkout")
    parser.add_argument("--port", type=int, help="port to listen on (default: a free one)")
    args = parser.parse_args(argv)
    if args.command == "stop":
        service = Service(args.state, "")
        print("Superset stopped" if service.stop() else "Superset was not running")
        return 0
    if args.command == "status":
        service = Service(args.state, "")
        pid = service.running()
        print(f"Superset running (pid {pid}) at {service.url()}" if pid else "Superset stopped")
        return 0 if pid else 3
    return _start(args.state, args.port)


def _start(state: Path, port: int | None) -> int:
    started = time.perf_counter()
    service = Service(state, warehouse_url())
    try:
        url = service.start(port)
    except (DatasetRefused, SpecError) as exc:
        print(f"make bi: {exc}", file=sys.stderr)
        return 2
    except StartFailed as exc:
        print(f"make bi: {exc}", file=sys.stderr)
        return 1
    total = round(time.perf_counter() - started, 1)
    steps = ", ".join(f"{k} {v} s" for k, v in service.timings.items())
    print(f"Superset is up in {total} s ({steps})")
    print(f"  URL:      {url}/dashboard/list/")
    print(f"  login:    {ADMIN}")
    print(f"  password: {service.admin_password()}   (kept in {state / 'admin_password'})")
    print("  stop:     make bi-stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
