"""The doubt points of the month: codes, one per household and code, about a household of
the month."""

from __future__ import annotations

from fangpin.audit.checks import (
    BLOCKING,
    WARNING,
    SuiteSpec,
    in_set,
    unexpected_rows,
    unique,
)
from fangpin.audit.suites.marts.common import FACTS_OF_BATCH
from fangpin.domain.codes import DOUBT_CODES

CHECKS = (
    in_set("code", DOUBT_CODES),
    unique(
        ("month", "household_id", "code"), "doubt_point_unique", BLOCKING,
        "one row per household, month and doubt code",
    ),
    unexpected_rows(
        "household_in_fct_household_month", WARNING,
        "a doubt point is about a household of the month",
        "select b.month, b.household_id, b.code from batch_rows b "
        f"left join {FACTS_OF_BATCH} f "
        "on f.month = b.month and f.household_id = b.household_id "
        "where f.household_id is null",
    ),
)
SUITE = SuiteSpec(
    name="marts.mart_doubt_point", layer="marts", table="mart_doubt_point", schema=None,
    month_column="month", sample_columns=("month", "household_id", "code"), checks=CHECKS,
    empty_month_ok=True,
)
