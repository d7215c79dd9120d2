#!/usr/bin/env python3
"""Compare the audit results of two audits of the same province, check by check.

Why: a change to how the audit runs (``fangpin.audit``) must leave what it finds unchanged.
``ops.audit_result`` holds every check of every attempt; this compares, month by month, one
attempt on each side: suite, check, severity, passed, observed value and sample rows, all but
the run id, attempt id and time. Either two warehouses built by ``scripts/build_province.py``
with the code before and after, or one warehouse audited twice (``--before-nth 1``: the
attempt before the latest on the before side)::

    .venv/bin/python scripts/compare_audit.py postgresql://…/cmp_before postgresql://…/cmp_after
    .venv/bin/python scripts/compare_audit.py URL URL --before-nth 1

Exit status 0 when every month's results are identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence

import psycopg

_ROWS = """
with attempts as (
    select month, attempt, max(checked_at) as at,
           rank() over (partition by month order by max(checked_at) desc) as nth
    from ops.audit_result
    group by month, attempt
)
select r.month, r.suite, r.check_name, r.severity, r.passed, r.observed_value, r.sample_rows
from ops.audit_result r
join attempts a on a.month = r.month and a.attempt is not distinct from r.attempt
where a.nth = %s + 1 and (%s::date is null or r.month = %s::date)
"""


def results(url: str, nth: int, month: str | None = None) -> Counter[tuple]:
    """Every check of the ``nth``-latest attempt of each month (0: the latest), or of
    ``month`` only."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(_ROWS, (nth, month, month)).fetchall()
    return Counter(
        (str(m), s, c, sev, p, o, json.dumps(rows_, sort_keys=True) if rows_ is not None else None)
        for m, s, c, sev, p, o, rows_ in rows
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before_url")
    parser.add_argument("after_url")
    parser.add_argument("--before-nth", type=int, default=0, help="0: latest attempt")
    parser.add_argument("--after-nth", type=int, default=0, help="0: latest attempt")
    parser.add_argument("--month", help="YYYY-MM-DD: that month only (default every month)")
    args = parser.parse_args(argv)
    before = results(args.before_url, args.before_nth, args.month)
    after = results(args.after_url, args.after_nth, args.month)
    only_before, only_after = before - after, after - before
    same = sum((before & after).values())
    print(f"{sum(before.values())} results before, {sum(after.values())} after, "
          f"{same} identical, {sum(only_before.values())} only before, "
          f"{sum(only_after.values())} only after")
    for label, rows in (("-", only_before), ("+", only_after)):
        for row in sorted(rows, key=str)[:40]:
            print(label, row)
    return 0 if not only_before and not only_after and same else 1


if __name__ == "__main__":
    sys.exit(main())
