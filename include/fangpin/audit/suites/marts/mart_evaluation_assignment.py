"""Which city evaluates each key county each year: never its own, every county assigned,
balanced across the cities."""

from __future__ import annotations

from fangpin.audit.checks import (
    BLOCKING,
    SuiteSpec,
    unexpected_rows,
    unique,
)

CHECKS = (
    unique(
        ("year", "county_code"), "county_year_unique", BLOCKING,
        "a key county has one evaluating city a year",
    ),
    unexpected_rows(
        "never_own_city", BLOCKING, "a county is never evaluated by its own city",
        "select b.year, b.county_code, b.evaluating_city_code from batch_rows b "
        "join dim_county d on d.county_code = b.county_code "
        "where b.evaluating_city_code = d.city_code",
    ),
    unexpected_rows(
        "every_key_county_assigned", BLOCKING,
        "every key county is assigned in every year of the table",
        "select y.year, d.county_code from (select distinct year from batch_rows) y "
        "cross join dim_county d where d.is_key_county and not exists "
        "(select 1 from batch_rows b where b.year = y.year and b.county_code = d.county_code)",
    ),
    unexpected_rows(
        "balanced_across_cities", BLOCKING,
        "counties per evaluating city differ by at most one across the cities",
        "select year, max(counties) - min(counties) as spread from ("
        "select y.year, c.city_code, count(b.county_code) as counties "
        "from (select distinct year from batch_rows) y "
        "cross join (select distinct city_code from dim_county) c "
        "left join batch_rows b on b.year = y.year and b.evaluating_city_code = c.city_code "
        "group by y.year, c.city_code) per_city "
        "group by year having max(counties) - min(counties) > 1",
    ),
)
SUITE = SuiteSpec(
    name="marts.mart_evaluation_assignment", layer="marts",
    table="mart_evaluation_assignment", schema=None, month_column=None,
    sample_columns=("year", "county_code"), checks=CHECKS, required=False,
)
