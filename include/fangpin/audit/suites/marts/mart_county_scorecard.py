"""The county scorecard, audited on the month being built: rates and score in range, every key
county reported, scored when it has households, and none vanished since the last publish."""

from __future__ import annotations

from fangpin.audit.checks import (
    BLOCKING,
    WARNING,
    SuiteSpec,
    between,
    row_count_at_least_one,
    unexpected_rows,
    unique,
)
from fangpin.audit.suites.marts.common import FACTS_OF_BATCH, county_in_dim

RATES = (
    "education_rate", "medical_rate", "housing_rate", "water_rate", "employment_rate",
    "identification_rate", "rectification_rate", "wrong_exit_rate",
)
SCORECARD_COUNTS = (
    "households", "persons", "out_of_poverty_households", "at_risk_households",
    "eliminated_households", "missed_identifications", "problems_found", "problems_rectified",
)
#: Key counties with no households now that had some in the latest published month before it
#: (ops.published_county_households, 006_published_counties.sql), with the registry files the
#: month was built from, so that the refusal names both.
_VANISHED = """
    , published as (
        select p.* from ops.published_county_households(
            (select max(month) from batch_rows)) p
    ), registry_files as (
        select string_agg(to_char(h.month, 'YYYY-MM') || '/' || h.feed || '/' || h.file_name,
                          ', ' order by h.feed, h.file_name) as files
        from ops.load_history h
        where h.status = 'loaded'
          and h.feed in ('registry_households', 'registry_members')
          and h.month = (select max(l.month) from ops.load_history l
                          where l.feed = h.feed and l.status = 'loaded'
                            and l.month <= (select max(month) from batch_rows))
    )
    select b.month, b.county_code, b.county_name, p.month as last_published_month,
           p.households as households_then, r.files as registry_files
    from batch_rows b
    join published p on p.county_code = b.county_code
    cross join registry_files r
    where b.is_key_county and b.households = 0 and p.households > 0
"""


CHECKS = (
    row_count_at_least_one("the month being published is scored"),
    unique(
        ("month", "county_code"), "county_month_unique", BLOCKING,
        "one row per county and month",
    ),
    county_in_dim(),
    *(between(f"{r}_in_0_1", r, BLOCKING, "a rate is between 0 and 1", 0, 1) for r in RATES),
    between("score_in_0_100", "score", BLOCKING, "the score is between 0 and 100", 0, 100),
    unexpected_rows(
        "counts_not_negative", BLOCKING, "counts are ≥ 0",
        "select month, county_code from batch_rows where "
        + " or ".join(f"{c} < 0" for c in SCORECARD_COUNTS),
    ),
    unexpected_rows(
        "key_counties_reported", BLOCKING,
        "every key county of the month's list has a row: scored, or reported as not scored",
        "select d.county_code, d.county_name from dim_county d where d.is_key_county "
        "and not exists (select 1 from batch_rows b where b.county_code = d.county_code)",
    ),
    unexpected_rows(
        "key_counties_scored_when_registered", BLOCKING,
        "a key county with registered households has a score and a rank",
        "select month, county_code, county_name, households from batch_rows "
        "where is_key_county and households > 0 and (score is null or key_rank is null)",
    ),
    unexpected_rows(
        "key_counties_without_households", WARNING,
        "a key county with no registered households in the month is reported, not scored",
        "select month, county_code, county_name, not_scored_reason from batch_rows "
        "where is_key_county and households = 0",
    ),
    unexpected_rows(
        "key_counties_not_vanished", BLOCKING,
        "a key county that had registered households in the previous published month has "
        "some now: a registry that lost part of the province is not published",
        _VANISHED,
        columns=("county_code", "county_name", "last_published_month", "households_then",
                 "registry_files"),
    ),
    unexpected_rows(
        "key_rank_only_for_key_counties", BLOCKING,
        "key_rank is null outside the key counties",
        "select b.month, b.county_code, b.key_rank from batch_rows b "
        "join dim_county d on d.county_code = b.county_code "
        "where b.key_rank is not null and not d.is_key_county",
    ),
    unexpected_rows(
        "households_match_fct_household_month", BLOCKING,
        "a county's households are its rows in fct_household_month for the month",
        "select b.month, b.county_code, b.households, count(f.household_id) as fact_rows "
        f"from batch_rows b left join {FACTS_OF_BATCH} f "
        "on f.month = b.month and f.county_code = b.county_code "
        "group by b.month, b.county_code, b.households "
        "having b.households <> count(f.household_id)",
    ),
    between(
        "income_growth_plausible", "income_growth", WARNING,
        "median income rarely halves or doubles in a year: look before trusting it",
        -0.5, 1.0,
    ),
)
SUITE = SuiteSpec(
    name="marts.mart_county_scorecard", layer="marts", table="mart_county_scorecard",
    schema=None, month_column="month", sample_columns=("month", "county_code"),
    checks=CHECKS,
)
