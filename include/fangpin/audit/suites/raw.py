"""The raw layer's gate: each delivery as loaded, and the month's files in ``ops.load_history``.

- ``raw.<feed>`` on ``raw.<feed>``, the month's delivery: the contract's required columns
  present and filled (derived from ``fangpin.feeds.contracts``, so a new feed gets its suite).
- ``raw.load_history`` on ``ops.load_history``, the month's files: volume against the previous
  delivery, quarantine share, rejected files.
"""

from __future__ import annotations

from fangpin.audit.checks import (
    BLOCKING,
    SNAPSHOT_COLUMN,
    SOURCE_COLUMNS,
    WARNING,
    SuiteSpec,
    check,
    not_null,
    unexpected_rows,
)
from fangpin.feeds.contracts import FEEDS, Feed

#: Operational thresholds of the load checks (not policy parameters, so not seeds).
VOLUME_BAND = (0.5, 2.0)  # this month's rows ÷ the previous delivery's, per feed
QUARANTINE_WARN_SHARE = 0.01
QUARANTINE_BLOCK_SHARE = 0.05


def raw_suite(feed: Feed) -> SuiteSpec:
    """A delivery as loaded: the contract's required columns exist and are filled."""
    required = [c.name for c in feed.required_columns]
    checks = [
        check(
            "required_columns_present", BLOCKING, "ExpectTableColumnsToMatchSet",
            "raw table carries the load metadata and every required column of the contract",
            column_set=[SNAPSHOT_COLUMN, *SOURCE_COLUMNS, *required], exact_match=False,
        ),
        *(not_null(c) for c in required),
    ]
    if "household_id" in {c.name for c in feed.columns}:
        # Staging pseudonymises such keys (macro household_key), so nothing plain is
        # published; the department should still be told to key households otherwise.
        checks.append(unexpected_rows(
            "household_id_not_an_id_number", WARNING,
            "household_id is not an id number (a department keying households by the head's "
            "id number: pseudonymised at staging, reported here)",
            "select * from batch_rows where ops.id_number_valid(upper(trim(household_id)))",
            ["household_id"],
        ))
    return SuiteSpec(
        name=f"raw.{feed.name}", layer="raw", table=feed.name, schema="raw",
        month_column=SNAPSHOT_COLUMN, sample_columns=SOURCE_COLUMNS, checks=tuple(checks),
        empty_month_ok=True,
    )


_LOADED = "status = 'loaded'"


def load_history_suite() -> SuiteSpec:
    """The month's files against the previous delivery of the same feed (ops.load_history)."""
    low, high = VOLUME_BAND
    volume = f"""
        , this_month as (
            select feed, month, sum(rows_loaded) as rows_loaded
            from batch_rows where {_LOADED} group by feed, month
        ), compared as (
            select t.feed, t.month, t.rows_loaded,
                   (select max(h.month) from ops.load_history h
                     where h.feed = t.feed and h.{_LOADED} and h.month < t.month) as previous_month
            from this_month t
        ), with_previous as (
            select c.*,
                   (select sum(h.rows_loaded) from ops.load_history h
                     where h.feed = c.feed and h.{_LOADED} and h.month = c.previous_month)
                       as previous_rows
            from compared c
        )
        select feed, month, rows_loaded, previous_month, previous_rows
        from with_previous
        where previous_rows > 0
          and (rows_loaded < {low} * previous_rows or rows_loaded > {high} * previous_rows)
    """

    def quarantine(limit: float) -> str:
        return f"""
            select feed, month, sum(rows_quarantined) as rows_quarantined,
                   sum(rows_read) as rows_read
            from batch_rows where {_LOADED}
            group by feed, month
            having sum(rows_quarantined) > {limit} * sum(rows_read)
        """

    checks = (
        unexpected_rows(  # the body continues rows_query's CTE list, hence its leading comma
            "load_volume_within_band", BLOCKING,
            f"each feed's rows this month are within {low:.0%}–{high:.0%} of its previous "
            "delivery: a far smaller file is a partial export, a far larger one a duplicate",
            volume,
        ),
        unexpected_rows(
            f"quarantine_share_under_{QUARANTINE_BLOCK_SHARE:.0%}".replace("%", "pct"),
            BLOCKING,
            f"at most {QUARANTINE_BLOCK_SHARE:.0%} of a feed's rows set aside this month",
            quarantine(QUARANTINE_BLOCK_SHARE),
        ),
        unexpected_rows(
            f"quarantine_share_under_{QUARANTINE_WARN_SHARE:.0%}".replace("%", "pct"),
            WARNING,
            f"more than {QUARANTINE_WARN_SHARE:.0%} of a feed's rows set aside is worth a look",
            quarantine(QUARANTINE_WARN_SHARE),
        ),
        unexpected_rows(
            "no_rejected_or_failed_files", WARNING,
            "a rejected or failed file means part of a feed is missing for the month",
            "select feed, month, file_name, status, error from batch_rows "
            "where status in ('rejected', 'failed')",
        ),
    )
    return SuiteSpec(
        name="raw.load_history", layer="raw", table="load_history", schema="ops",
        month_column="month", sample_columns=(), checks=checks, empty_month_ok=True,
    )


def suites() -> tuple[SuiteSpec, ...]:
    """Every feed's raw suite in contract order, then the load history."""
    return (*(raw_suite(f) for f in FEEDS.values()), load_history_suite())
