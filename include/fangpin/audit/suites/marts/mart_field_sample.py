"""The month's field sample: households of their county, key counties only, once each."""

from __future__ import annotations

from fangpin.audit.checks import (
    BLOCKING,
    SuiteSpec,
    in_set,
    unexpected_rows,
    unique,
)
from fangpin.audit.suites.marts.common import FACTS_OF_BATCH

CHECKS = (
    in_set("reason", ("missed_identification", "random")),
    unique(
        ("month", "household_id"), "household_sampled_once", BLOCKING,
        "a household is sampled at most once a month",
    ),
    unexpected_rows(
        "sampled_household_in_county", BLOCKING,
        "a sampled household is one of the county's households that month",
        "select b.month, b.county_code, b.household_id from batch_rows b "
        f"left join {FACTS_OF_BATCH} f on f.month = b.month "
        "and f.household_id = b.household_id and f.county_code = b.county_code "
        "where f.household_id is null",
    ),
    unexpected_rows(
        "only_key_counties", BLOCKING, "field samples are drawn in key counties only",
        "select b.month, b.county_code from batch_rows b "
        "join dim_county d on d.county_code = b.county_code where not d.is_key_county",
    ),
)
SUITE = SuiteSpec(
    name="marts.mart_field_sample", layer="marts", table="mart_field_sample", schema=None,
    month_column="month", sample_columns=("month", "county_code", "household_id"),
    checks=CHECKS, required=False, empty_month_ok=True,
)
