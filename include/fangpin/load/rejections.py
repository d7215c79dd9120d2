"""Rejected files: which delivery stays in force, and the one line that reports each rejection.

A rejected file (FEEDS.md "File format") leaves its feed-month not taken: the loader's
transaction rolls back, so ``raw`` keeps whatever it held for the feed - the month's earlier
accepted delivery if there was one, else nothing for the month - and one ``rejected`` row in
``ops.load_history`` keeps the error. The month goes on: dbt takes the feed's latest snapshot at
or before the month within ``feed_max_age_months`` (``int_feed_snapshot_month``), which is
exactly the delivery :func:`snapshot_in_force` names here from the same facts (the current
deliveries that loaded rows). Past that age the feed is absent and its checks UNVERIFIED; for
the registry, the month is not built.

``fangpin run`` prints :meth:`Rejection.line` at the end of each month's run, ``fangpin
status`` the rejections that still stand, and the DAG's load task logs it and notes it on the
DAG run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg

from fangpin.domain.months import months_between
from fangpin.warehouse.connection import connect, one_row

REGISTRY_FEEDS = ("registry_households", "registry_members")


@dataclass(frozen=True)
class InForce:
    """The delivery a feed is taken from for a month (None: none in reach)."""

    snapshot_month: date | None
    max_age_months: int | None  # None: the policy parameters are not in the warehouse yet
    latest: date | None  # the latest accepted delivery at or before the month, in reach or not


@dataclass(frozen=True)
class Rejection:
    month: date
    feed: str
    file_name: str
    cause: str
    in_force: InForce
    run_id: str | None = None

    @property
    def month_not_built(self) -> bool:
        """A rejected registry with no earlier registry snapshot in reach: no month to build."""
        return (
            self.feed in REGISTRY_FEEDS
            and self.in_force.snapshot_month is None
            and (self.in_force.latest is None or self.in_force.max_age_months is not None)
        )

    def in_force_text(self) -> str:
        force = self.in_force
        if force.snapshot_month == self.month:
            return (f"the {self.month:%Y-%m} delivery accepted earlier stays in force "
                    "(this re-delivery is not taken)")
        if force.snapshot_month is not None:
            return f"the {force.snapshot_month:%Y-%m} delivery stays in force"
        if force.latest is not None and force.max_age_months is None:
            return (f"the {force.latest:%Y-%m} delivery, if within feed_max_age_months "
                    "(the policy parameters are not loaded yet)")
        reach = (f"none within feed_max_age_months = {force.max_age_months}"
                 if force.max_age_months is not None else "none")
        if self.feed in REGISTRY_FEEDS:
            return f"{reach}: no registry snapshot in reach, {self.month:%Y-%m} is not built"
        return f"{reach}: {self.feed} is absent for {self.month:%Y-%m}, its checks are UNVERIFIED"

    @property
    def short_cause(self) -> str:
        """The loader's error without its ``<YYYY-MM>/<feed>/<file>: `` prefix."""
        return self.cause.removeprefix(f"{self.month:%Y-%m}/{self.feed}/{self.file_name}: ")

    def line(self) -> str:
        """The one line a person reads: month, feed, file, cause, what stays in force."""
        return (f"{self.month:%Y-%m} {self.feed}: REJECTED {self.file_name}: {self.short_cause}"
                f" -> in force: {self.in_force_text()}")

    def as_result(self) -> dict:
        """The load step's result (an XCom): JSON-safe."""
        force = self.in_force.snapshot_month
        return {
            "feed": self.feed,
            "month": self.month.isoformat(),
            "status": "rejected",
            "file": self.file_name,
            "cause": self.cause,
            "in_force": force.isoformat() if force else None,
            "in_force_text": self.in_force_text(),
            "line": self.line(),
        }


def snapshot_in_force(conn: psycopg.Connection, feed: str, month: date) -> InForce:
    """RULES.md "Time" for one feed and month, from the current deliveries in the load history."""
    from fangpin.policy.store import parameter

    latest = one_row(conn.execute(
        "select max(month) from ops.feed_delivery where feed = %s and month <= %s"
        " and status = 'loaded' and rows_loaded > 0",
        (feed, month),
    ))[0]
    value = parameter(conn, "feed_max_age_months")
    max_age = int(value) if value is not None else None
    if latest is None:
        return InForce(None, max_age, None)
    age = months_between(latest, month)
    if age == 0:  # the month's own earlier delivery: in reach whatever the age limit
        return InForce(latest, max_age, latest)
    if max_age is None:
        return InForce(None, None, latest)
    return InForce(latest if age <= max_age else None, max_age, latest)


def rejection(
    url: str, feed: str, month: date, file_name: str, cause: str, run_id: str | None = None
) -> Rejection:
    with connect(url) as conn:
        return Rejection(month, feed, file_name, cause, snapshot_in_force(conn, feed, month),
                         run_id)


_OF_RUN = """
    select distinct on (feed, file_name, checksum) month, feed, file_name, error, run_id
    from ops.load_history
    where status = 'rejected' and run_id = %s
    order by feed, file_name, checksum, load_id desc
"""

#: Rejections that still stand: no delivery of the feed-month taken after them.
_STANDING = """
    with taken as (
        select feed, month, max(load_id) as last_taken
        from ops.load_history
        where status in ('loaded', 'superseded', 'skipped')
        group by feed, month
    )
    select distinct on (h.month, h.feed, h.file_name) h.month, h.feed, h.file_name, h.error,
           h.run_id
    from ops.load_history h
    left join taken t on t.feed = h.feed and t.month = h.month
    where h.status = 'rejected' and h.load_id > coalesce(t.last_taken, 0)
      and (%(month)s::date is null or h.month = %(month)s::date)
    order by h.month, h.feed, h.file_name, h.load_id desc
"""


def of_run(url: str, run_id: str) -> list[Rejection]:
    """The files a run rejected, each once (a retried load rejects the same file again)."""
    with connect(url) as conn:
        rows = conn.execute(_OF_RUN, (run_id,)).fetchall()
        return _rejections(conn, rows)


def standing(url: str, month: date | None = None) -> list[Rejection]:
    """The rejections no later delivery of their feed-month has answered, oldest month first."""
    with connect(url) as conn:
        rows = conn.execute(_STANDING, {"month": month}).fetchall()
        return _rejections(conn, rows)


def _rejections(conn: psycopg.Connection, rows: list[tuple]) -> list[Rejection]:
    found = [
        Rejection(month, feed, file_name, error or "", snapshot_in_force(conn, feed, month),
                  run_id)
        for month, feed, file_name, error, run_id in rows
    ]
    return sorted(found, key=lambda r: (r.month, r.feed, r.file_name))
