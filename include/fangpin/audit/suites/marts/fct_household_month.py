"""The household-month facts, audited on the month being built: keys, codes, the
masked head id, and every derived flag recomputed from its signals (docs/contract/RULES.md)."""

from __future__ import annotations

from collections.abc import Iterable

from fangpin.audit.checks import (
    BLOCKING,
    WARNING,
    Check,
    SuiteSpec,
    between,
    in_set,
    matches,
    not_null,
    row_count_at_least_one,
    unexpected_rows,
    unique,
)
from fangpin.audit.suites.marts.common import county_in_dim
from fangpin.feeds.contracts import FEEDS

SIGNALS = (
    "sig_edu_dropout", "sig_edu_unverified", "sig_med_uninsured", "sig_med_unverified",
    "sig_med_burden", "sig_house_unsafe", "sig_house_unverified", "sig_water_unsafe",
    "sig_water_unverified", "sig_disaster", "sig_job_none", "sig_income_low",
    "sig_safety_net_gap",
)
#: docs/contract/RULES.md: should_monitor is any of these.
MONITOR_SIGNALS = (
    "sig_income_low", "sig_edu_dropout", "sig_med_uninsured", "sig_med_burden",
    "sig_house_unsafe", "sig_water_unsafe", "sig_disaster", "sig_safety_net_gap",
)
MASKED_ID_REGEX = r"^[0-9]{6}\*{8}[0-9]{3}[0-9X]$"


def _rule(name: str, flag: str, definition: str, text: str) -> Check:
    """A derived flag that disagrees with its definition over the same row's signals."""
    return unexpected_rows(
        name, BLOCKING, text,
        f"select month, household_id, county_code, {flag} from batch_rows "
        f"where {flag} is distinct from ({definition})",
        [flag],
    )


def _any(columns: Iterable[str]) -> str:
    return " or ".join(columns)

_HOUSEHOLDS = FEEDS["registry_households"]
#: Every boolean of the fact: none may be null.
FLAGS = (
    "should_monitor", "missed_identification", "relapse_after_elimination",
    "education_ok", "medical_ok", "housing_ok", "water_ok", *SIGNALS,
)
CHECKS = (
    row_count_at_least_one("the month being published is in the build"),
    unique(
        ("month", "household_id"), "household_month_unique", BLOCKING,
        "one row per household and month",
    ),
    *(not_null(c) for c in ("household_id", "county_code", "village_code")),
    unexpected_rows(
        "flags_not_null", BLOCKING, "every signal and derived flag is true or false",
        f"select month, household_id from batch_rows where num_nulls({', '.join(FLAGS)}) > 0",
    ),
    county_in_dim(),
    unexpected_rows(
        "village_in_county", BLOCKING, "a household's village lies in its county",
        "select month, household_id, county_code, village_code from batch_rows "
        "where left(village_code, 6) <> county_code",
    ),
    matches(
        "head_id_masked_format", "head_id_masked", MASKED_ID_REGEX, BLOCKING,
        "the head's id number is published masked: first 6 and last 4 characters only",
    ),
    *(in_set(c, (code.code for code in _HOUSEHOLDS.column(c).codes))
      for c in ("household_type", "monitoring_type", "monitoring_status")),
    between(
        "per_capita_net_income_not_negative", "per_capita_net_income", BLOCKING,
        "income in yuan is ≥ 0", min_value=0,
    ),
    between(
        "member_count_positive", "member_count", WARNING,
        "a registered household with no registered member counts nobody", min_value=1,
    ),
    _rule(
        "should_monitor_rule", "should_monitor", _any(MONITOR_SIGNALS),
        "should_monitor is any of the eight monitoring signals (RULES.md)",
    ),
    _rule(
        "missed_identification_rule", "missed_identification",
        "should_monitor and monitoring_status <> 'at_risk'",
        "missed identification = should_monitor and not at_risk",
    ),
    _rule(
        "relapse_rule", "relapse_after_elimination",
        "should_monitor and monitoring_status = 'eliminated'",
        "relapse after elimination = should_monitor and eliminated",
    ),
    _rule(
        "education_ok_rule", "education_ok", "not (sig_edu_dropout or sig_edu_unverified)",
        "education is met without EDU_DROPOUT and EDU_UNVERIFIED",
    ),
    _rule(
        "medical_ok_rule", "medical_ok", "not (sig_med_uninsured or sig_med_unverified)",
        "medical is met without MED_UNINSURED and MED_UNVERIFIED",
    ),
    _rule(
        "housing_ok_rule", "housing_ok", "not (sig_house_unsafe or sig_house_unverified)",
        "housing is met without HOUSE_UNSAFE and HOUSE_UNVERIFIED",
    ),
    _rule(
        "water_ok_rule", "water_ok", "not (sig_water_unsafe or sig_water_unverified)",
        "water is met without WATER_UNSAFE and WATER_UNVERIFIED",
    ),
)
SUITE = SuiteSpec(
    name="marts.fct_household_month", layer="marts", table="fct_household_month",
    schema=None, month_column="month", sample_columns=("month", "household_id"),
    checks=CHECKS,
)
