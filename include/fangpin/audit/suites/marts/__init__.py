"""The published tables' gates, one module per table, named after it (``marts.<table>``).

Mart suites run on the build schema. Month-grained marts are audited on the month being built
(older months were audited when they were built), the others whole. The order is the audit's:
dimensions first, so a failing fact check can be read against a dimension already checked.
"""

from __future__ import annotations

from fangpin.audit.checks import SuiteSpec
from fangpin.audit.suites.marts import (
    dim_county,
    dim_policy,
    fct_household_month,
    fct_problem,
    mart_county_scorecard,
    mart_doubt_point,
    mart_evaluation_assignment,
    mart_feed_reporting,
    mart_field_sample,
)


def suites() -> tuple[SuiteSpec, ...]:
    """Every mart's suite, in audit order."""
    return (
        dim_county.SUITE,
        dim_policy.SUITE,
        fct_household_month.SUITE,
        mart_county_scorecard.SUITE,
        fct_problem.SUITE,
        mart_doubt_point.SUITE,
        mart_feed_reporting.SUITE,
        mart_field_sample.SUITE,
        mart_evaluation_assignment.SUITE,
    )
