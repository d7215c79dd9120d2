"""What several mart gates share: the county in ``dim_county``, the facts of the batch's months."""

from __future__ import annotations

from fangpin.audit.checks import BLOCKING, Check, unexpected_rows

_IN_DIM_COUNTY = (
    "select * from batch_rows b where not exists "
    "(select 1 from dim_county d where d.county_code = b.county_code)"
)

#: fct_household_month restricted to the batch's months. The mart holds every month built and
#: a check compares one month with it: with the bound spelled out, PostgreSQL reads that month
#: (the BRIN index on month) instead of hashing the whole history at every check.
FACTS_OF_BATCH = (
    "(select * from fct_household_month where month between "
    "(select min(month) from batch_rows) and (select max(month) from batch_rows))"
)


def county_in_dim(description: str = "county_code is a county of dim_county") -> Check:
    """Every row's county is one of ``dim_county`` (audited before the facts)."""
    return unexpected_rows(
        "county_in_dim_county", BLOCKING, description, _IN_DIM_COUNTY, ["county_code"]
    )
