"""Which months a ``fangpin run`` builds, and why: nothing rebuilt for nothing, nothing stale.

A month's figures depend on the deliveries of that month and of the months before it (a feed
missing in a month carries its latest snapshot forward within ``feed_max_age_months``; the
problem ledger, month-on-month and year-on-year changes run through the months in order).
So when a month's deliveries change, that month and every later built month must be built
again, in order. A month is:

- **new** when ``marts`` does not hold it (``marts.dim_month``): built;
- **changed** when a feed's files in the landing area are not the delivery loaded for it
  (other bytes, a file more or less), unless every one of them was rejected before (the
  same bytes would be rejected again): rebuilt;
- **stale** when a delivery of the month or of an earlier month was loaded after the month
  was built (a correction loaded by a run that stopped before reaching this month): rebuilt;
- **asked for** when named with ``--months`` although unchanged: rebuilt on its own (the
  same bytes build the same rows, so the later months stay as they are);
- **before a month to build** and not published yet (``--months 2021-02`` when 2021-01 of
  the landing area was never built): built first, so no month is published with a hole
  before it;
- otherwise **unchanged**: skipped, and said so.

The earliest new, changed or stale month rebuilds every published month after it, whether
or not the selection names them. A published month that is no longer in the landing area
cannot be rebuilt; if one would have to be, the plan says so and nothing runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import psycopg

from fangpin.feeds.read import file_sha256
from fangpin.pipeline.housekeeping import query

BUILD, REBUILD, SKIP = "build", "rebuild", "skip"


@dataclass(frozen=True)
class MonthPlan:
    month: date
    action: str  # build, rebuild or skip
    reason: str

    def describe(self) -> str:
        verb = {BUILD: "to build", REBUILD: "to rebuild", SKIP: "skipped"}[self.action]
        return f"{self.month:%Y-%m}: {verb}: {self.reason}"


class PlanError(RuntimeError):
    """The months cannot be brought up to date from this landing area (nothing was run)."""


@dataclass(frozen=True)
class _Published:
    built_at: datetime | None
    run_id: str | None


def plan_months(url: str, landing: Path, selected: list[date] | None) -> list[MonthPlan]:
    """The months to build, in order, with the skipped ones and every reason."""
    from fangpin.pipeline.run_months import landing_months

    in_landing = landing_months(landing)
    published = _published(url)
    deliveries = _deliveries(url)
    chosen = [m for m in in_landing if not selected or m in selected]
    why: dict[date, str] = {}
    for month in chosen:
        reason = _dirty(month, landing, published, deliveries)
        if reason:
            why[month] = reason
    last = max(why, default=None)
    for month in in_landing:  # no month is published with an unbuilt month before it
        if last is not None and month < last and month not in published and month not in why:
            why[month] = (
                f"not published yet, and {last:%Y-%m} is to be built after it (no month is "
                "published with an earlier month of the landing area missing)"
            )
    first = min(why, default=None)
    if first is not None:
        for month in sorted(m for m in published if m > first and m not in why):
            if month not in in_landing:
                raise PlanError(
                    f"{month:%Y-%m} is published and reads {first:%Y-%m}, which is to be "
                    f"rebuilt ({why[first]}), but {landing / f'{month:%Y-%m}'} is not in the "
                    "landing area to rebuild it from; nothing was run"
                )
            why[month] = (
                f"after {first:%Y-%m} (the problem ledger and the feeds carried forward run "
                "through it)"
            )
    for month in selected or []:
        if month in chosen and month not in why:
            why[month] = "asked for (--months); its deliveries are unchanged"
    plans = []
    for month in sorted(set(chosen) | set(why)):
        if month in why:
            action = BUILD if month not in published else REBUILD
            plans.append(MonthPlan(month, action, why[month]))
        else:
            state = published[month]
            built = f"{state.built_at:%Y-%m-%d %H:%M}" if state.built_at else "before records"
            plans.append(MonthPlan(
                month, SKIP,
                f"deliveries unchanged since it was built ({built}, run {state.run_id or '?'})",
            ))
    return plans


def _dirty(
    month: date, landing: Path, published: dict[date, _Published], deliveries: dict
) -> str | None:
    """Why ``month`` must be built, or None when it is up to date."""
    if month not in published:
        return "not published yet"
    changed = _changed_feeds(month, landing, deliveries)
    if changed:
        return "delivered again with other bytes: " + ", ".join(changed)
    built_at = published[month].built_at
    if built_at is not None:
        later = sorted(
            f"{feed} {m:%Y-%m}"
            for (feed, m), (_, loaded_at, _) in deliveries.items()
            if m <= month and loaded_at is not None and loaded_at > built_at
        )
        if later:
            return "built before deliveries it reads were loaded: " + ", ".join(later)
    return None


def _changed_feeds(month: date, landing: Path, deliveries: dict) -> list[str]:
    from fangpin.feeds import contracts
    from fangpin.load.loader import feed_files, month_folder

    changed = []
    for feed in contracts.FEED_NAMES:
        files = feed_files(month_folder(landing, month) / feed)
        if not files:
            continue  # nothing delivered now: what was loaded stays in force
        sums = sorted(file_sha256(p) for p in files)
        current, _, rejected = deliveries.get((feed, month), ([], None, []))
        if sums != sorted(current) and not set(sums) <= set(rejected):
            changed.append(feed)
    return changed


def _published(url: str) -> dict[date, _Published]:
    """The months ``marts`` holds, with when and by which run each was built."""
    with psycopg.connect(url) as conn:
        tables = {
            r[0] for r in conn.execute(
                "select relname from pg_class where relnamespace = 'marts'::regnamespace "
                "and relname in ('dim_month', 'fct_household_month')"
            )
        }
        if "dim_month" in tables:
            rows = conn.execute("select month, built_at, built_by_run_id from marts.dim_month")
            return {m: _Published(at, run) for m, at, run in rows}
        if "fct_household_month" in tables:
            rows = conn.execute("select distinct month from marts.fct_household_month")
            return {r[0]: _Published(None, None) for r in rows}
    return {}


def _deliveries(url: str) -> dict[tuple[str, date], tuple[list[str], datetime | None, list[str]]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(query("deliveries_in_force")).fetchall()
    return {(feed, month): (cur, at, rej) for feed, month, cur, at, rej in rows}
