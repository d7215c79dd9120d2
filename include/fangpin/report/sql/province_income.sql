-- The province's median per-capita net income (人均纯收入中位数) for a month, defined as the
-- scorecard defines each county's (mean of the two middle values, 2 decimals); null when the
-- month is not in marts (the growth's base a year before, typically).
select round((
    percentile_disc(0.5) within group (order by per_capita_net_income)
    + percentile_disc(0.5) within group (order by per_capita_net_income desc)
) / 2, 2)
from marts.fct_household_month
where month = %(month)s
