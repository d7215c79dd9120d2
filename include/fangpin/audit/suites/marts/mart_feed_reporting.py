"""Feed reporting for the month: one row per feed, coverage a share."""

from __future__ import annotations

from fangpin.audit.checks import (
    BLOCKING,
    WARNING,
    SuiteSpec,
    between,
    in_set,
    row_count_at_least_one,
    unexpected_rows,
    unique,
)
from fangpin.feeds.contracts import FEEDS

CHECKS = (
    row_count_at_least_one("the month's feed reporting is built"),
    in_set("feed", FEEDS),
    unique(("month", "feed"), "feed_month_unique", BLOCKING, "one row per feed and month"),
    between("coverage_in_0_1", "coverage", BLOCKING, "coverage is a share", 0, 1),
    between(
        "target_coverage_in_0_1", "target_coverage", BLOCKING,
        "coverage of the population the feed should cover is a share", 0, 1,
    ),
    unexpected_rows(
        "target_covered_within_target", BLOCKING,
        "a feed covers no more of its target population than there is",
        "select month, feed, target_registered, target_covered from batch_rows "
        "where target_covered > target_registered",
    ),
    unexpected_rows(
        "rows_not_negative", BLOCKING, "row counts are ≥ 0",
        "select month, feed from batch_rows where rows_loaded < 0 or rows_quarantined < 0",
    ),
    unexpected_rows(
        "every_feed_reported", WARNING, "all eight feeds have a row, arrived or not",
        "select month, count(*) as feeds from batch_rows group by month "
        f"having count(*) <> {len(FEEDS)}",
    ),
)
SUITE = SuiteSpec(
    name="marts.mart_feed_reporting", layer="marts", table="mart_feed_reporting",
    schema=None, month_column="month", sample_columns=("month", "feed"), checks=CHECKS,
    required=False,
)
