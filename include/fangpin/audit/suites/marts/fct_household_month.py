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
from fangpin.domain import codes as domain
from fangpin.domain.codes import GUARANTEES, SIGNAL_COLUMNS, guarantee_signals
from fangpin.feeds.contracts import FEEDS

SIGNALS = SIGNAL_COLUMNS
#: docs/contract/RULES.md: should_monitor is any of these.
MONITOR_SIGNALS = tuple(s.column for s in domain.MONITOR_SIGNALS)
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


def _guarantee_rule(name: str, column: str) -> Check:
    """``education_ok`` is met when none of its signals (RULES.md "The four guarantees") is."""
    signals = guarantee_signals(name)
    return _rule(
        f"{column}_rule", column, f"not ({_any(s.column for s in signals)})",
        f"{name} is met without {' and '.join(s.code for s in signals)}",
    )


_HOUSEHOLDS = FEEDS["registry_households"]
#: Every boolean of the fact: none may be null.
FLAGS = (
    "should_monitor", "missed_identification", "relapse_after_elimination",
    *(g.column for g in GUARANTEES), *SIGNALS,
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
    *(_guarantee_rule(g.name, g.column) for g in GUARANTEES),
)
SUITE = SuiteSpec(
    name="marts.fct_household_month", layer="marts", table="fct_household_month",
    schema=None, month_column="month", sample_columns=("month", "household_id"),
    checks=CHECKS,
)
