"""The problems found (the whole table): codes, outcomes and the found/closed months agree."""

from __future__ import annotations

from fangpin.audit.checks import (
    BLOCKING,
    SuiteSpec,
    in_set,
    unexpected_rows,
    unique,
)
from fangpin.audit.suites.marts.common import county_in_dim
from fangpin.domain.codes import PROBLEM_CODES

REQUIRED = ("household_id", "county_code", "code", "found_month", "outcome")
CHECKS = (
    unexpected_rows(
        "required_not_null", BLOCKING, "a problem has a household, county, code, "
        "month found and outcome",
        f"select * from batch_rows where num_nulls({', '.join(REQUIRED)}) > 0",
    ),
    in_set("code", PROBLEM_CODES),
    in_set("outcome", ("open", "rectified", "left_registry")),
    unique(
        ("household_id", "code", "found_month"), "problem_unique", BLOCKING,
        "a (household, code) problem is found once a month",
    ),
    unexpected_rows(
        "closed_iff_not_open", BLOCKING,
        "an open problem has no closed_month; a closed one has",
        "select household_id, code, found_month, closed_month, outcome from batch_rows "
        "where (outcome = 'open') = (closed_month is not null)",
    ),
    unexpected_rows(
        "closed_after_found", BLOCKING, "a problem closes in a month after it was found",
        "select household_id, code, found_month, closed_month from batch_rows "
        "where closed_month <= found_month",
    ),
    county_in_dim(),
)
SUITE = SuiteSpec(
    name="marts.fct_problem", layer="marts", table="fct_problem", schema=None,
    month_column=None, sample_columns=("household_id", "code", "found_month"),
    checks=CHECKS,
)
