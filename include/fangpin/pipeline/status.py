"""``fangpin status``: the last loads, audits and publishes, and what ``marts`` holds now."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import psycopg

RECENT = 5


@dataclass(frozen=True)
class StatusRow:
    """One line of the status: what kind of event, about what, for which month, how it went."""

    kind: str  # published, load, audit, publish
    name: str
    month: date | None
    status: str
    detail: str
    at: datetime | None


@dataclass(frozen=True)
class StatusReport:
    rows: list[StatusRow]
    #: ``Rejection.line()`` of every rejected file no later delivery of its feed-month answered.
    rejections: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.rows:
            return "nothing loaded, audited or published yet"
        table = self._table()
        if self.rejections:
            table += "\n\nrejected files (not taken; the delivery in force is named):\n"
            table += "\n".join(f"  {line}" for line in self.rejections)
        return table

    def _table(self) -> str:
        table = [("kind", "what", "month", "status", "detail", "at")]
        for r in self.rows:
            table.append((
                r.kind, r.name, f"{r.month:%Y-%m}" if r.month else "", r.status, r.detail,
                f"{r.at:%Y-%m-%d %H:%M}" if r.at else "",
            ))
        widths = [max(len(row[i]) for row in table) for i in range(6)]
        return "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in table
        )


def status(url: str) -> StatusReport:
    """Summary rows: what is published, each feed's latest load, recent audits and publishes."""
    from fangpin.publish.swap import published_state

    rows: list[StatusRow] = []
    with psycopg.connect(url) as conn:
        for schema in ("marts", "marts_prev"):
            state = published_state(conn, schema)
            if state:
                rows.append(StatusRow(
                    "published", schema, _month(state.get("month")), "in place",
                    f"run {state.get('run_id')}", _time(state.get("published_at")),
                ))
        rows += [StatusRow("load", *r) for r in conn.execute(_LOADS).fetchall()]
        rows += [StatusRow("audit", *r) for r in conn.execute(_AUDITS, (RECENT,)).fetchall()]
        rows += [StatusRow("publish", *r) for r in conn.execute(_PUBLISHES, (RECENT,)).fetchall()]
    return StatusReport(rows, _standing_rejections(url))


def _standing_rejections(url: str) -> list[str]:
    from fangpin.load.rejections import standing

    return [r.line() for r in standing(url)]


def _month(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# Each feed's latest month: the files of its current delivery (status 'loaded'), or of the
# latest attempt when nothing of the month is loaded (a rejected delivery). Files skipped by a
# rerun (the same bytes again) and superseded deliveries are not counted: an 11-file delivery
# run three times is 11 files.
_LOADS = """
    with latest as (
        select distinct on (feed) feed, month from ops.load_history
        where status <> 'superseded' order by feed, month desc
    ),
    attempts as (
        select h.*, bool_or(h.status = 'loaded') over (partition by h.feed, h.month) as has_current,
               max(h.load_id) over (partition by h.feed, h.month) as last_load_id
        from ops.load_history h join latest l using (feed, month)
        where h.status <> 'superseded'
    ),
    delivery as (
        select * from attempts
        where status = 'loaded'
           or (not has_current and run_id is not distinct from (
                   select run_id from ops.load_history where load_id = last_load_id))
    )
    select feed, month,
           string_agg(distinct status, ', ' order by status),
           format('%s files, %s rows loaded, %s quarantined', count(*),
                  coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0)),
           max(coalesce(finished_at, started_at))
    from delivery
    group by feed, month
    order by feed
"""

_AUDITS = """
    select run_id, max(month),
           case when bool_and(passed or severity <> 'blocking') then 'passed' else 'refused' end,
           format('%%s checks, %%s blocking failed, %%s warning(s)%%s', count(*),
                  count(*) filter (where not passed and severity = 'blocking'),
                  count(*) filter (where not passed and severity = 'warning'),
                  coalesce(': ' || string_agg(distinct suite || '/' || check_name, ', ')
                                   filter (where not passed and severity = 'warning'), '')),
           max(checked_at)
    from ops.audit_result
    group by run_id
    order by max(checked_at) desc
    limit %s
"""

_PUBLISHES = """
    select run_id, month, status, coalesce(reason, ''), logged_at
    from ops.publish_log
    order by logged_at desc, publish_id desc
    limit %s
"""
