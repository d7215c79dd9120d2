"""The counties: every county of the province once, the key counties marked."""

from __future__ import annotations

from fangpin.audit.checks import (
    BLOCKING,
    WARNING,
    SuiteSpec,
    not_null,
    unexpected_rows,
    unique,
)

CHECKS = (
    not_null("county_code"),
    unique(("county_code",), "county_code_unique", BLOCKING, "one row per county"),
    unexpected_rows(
        "county_in_seed", BLOCKING, "every county is a county of the province (seed)",
        "select county_code, county_name from batch_rows where county_code not in "
        "(select county_code from seeds.shanxi_counties)",
    ),
    not_null("is_key_county"),
    unexpected_rows(
        "some_key_county", BLOCKING, "the key assistance counties are marked",
        "select 'no key county' as problem "
        "where not exists (select 1 from batch_rows where is_key_county)",
    ),
    unexpected_rows(
        "city_code_prefix", WARNING, "a county code starts with its city code",
        "select county_code, city_code from batch_rows where left(county_code, 4) <> city_code",
    ),
)
SUITE = SuiteSpec(
    name="marts.dim_county", layer="marts", table="dim_county", schema=None,
    month_column=None, sample_columns=("county_code",), checks=CHECKS,
)
