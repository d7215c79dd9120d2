"""The policy evaluators read beside the scores: whole, one value per parameter and year."""

from __future__ import annotations

from fangpin.audit.checks import BLOCKING, SuiteSpec, in_set, not_null, unexpected_rows, unique

CHECKS = (
    unique(("year", "parameter"), "parameter_year_unique", BLOCKING,
           "one value per parameter and year"),
    not_null("value_text"),
    not_null("meaning_en"),
    not_null("meaning_zh"),
    in_set("source", ("seed", "imported")),
    unexpected_rows(
        "every_marts_year", BLOCKING, "the policy of every year the marts hold is published",
        "select distinct cast(extract(year from f.month) as integer) as year "
        "from fct_household_month f where cast(extract(year from f.month) as integer) "
        "not in (select year from batch_rows)",
    ),
    unexpected_rows(
        "score_weights_sum_to_one", BLOCKING,
        "the seven score weights of each year are published and sum to 1",
        "select year, count(*) as weights, sum(value) as total from batch_rows "
        "where left(parameter, 13) = 'score_weight_' group by year "
        "having count(*) <> 7 or sum(value) <> 1",
    ),
)
SUITE = SuiteSpec(
    name="marts.dim_policy", layer="marts", table="dim_policy", schema=None,
    month_column=None, sample_columns=("year", "parameter"), checks=CHECKS,
)
