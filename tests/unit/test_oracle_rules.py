"""The Python oracle of docs/contract/RULES.md (tests/oracle/rules.py) on the hand-made province.

No database: this checks the oracle and the province's stated expectations against each other,
so that tests/db/test_dbt_rules.py compares dbt with a reading that is itself tested.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from oracle import province as P
from oracle import rules

ROWS = rules.household_months(P.FEEDS, P.BUILD_MONTHS)
BY_KEY = {(r["month"], r["household_id"]): r for r in ROWS}


@pytest.mark.parametrize(
    ("month", "household_id"),
    [(m, h) for m in P.BUILD_MONTHS for h in sorted(P.EXPECTED[m])],
)
def test_oracle_signals_match_the_cases(month: date, household_id: str) -> None:
    row = BY_KEY[(month, household_id)]
    assert {s for s in rules.SIGNALS if row[s]} == P.EXPECTED[month][household_id]


def test_oracle_doubt_points_match_the_cases() -> None:
    found = {r["household_id"]: r["doubt_points"] for r in ROWS if r["month"] == P.JAN}
    assert {h: d for h, d in found.items() if d} == P.EXPECTED_DOUBTS


def test_oracle_problem_ledger_and_rectification() -> None:
    ledger = rules.problem_ledger(ROWS)
    l_problems = sorted(
        (p["household_id"], p["found_month"], p["closed_month"], p["outcome"])
        for p in ledger
        if p["county_code"] == P.COUNTY_L
    )
    assert l_problems == [
        ("L-LATE", P.FEB, None, "open"),
        ("L-LEAVES", P.JAN, P.MAR, "left_registry"),
        ("L-RECTIFIED", P.JAN, P.MAR, "rectified"),
        ("L-RECURS", P.JAN, P.FEB, "rectified"),
        ("L-RECURS", P.MAR, None, "open"),
    ]
    for month, counts in P.RECTIFICATION_L.items():
        assert rules.rectification(ledger, P.COUNTY_L, month) == counts


def test_months_without_a_registry_in_reach_are_not_built() -> None:
    months = [date(2021, 6, 1), date(2021, 7, 1), date(2019, 12, 1)]
    assert rules.unbuildable_months(P.FEEDS, months) == [date(2019, 12, 1), date(2021, 7, 1)]
    assert rules.household_months(P.FEEDS, [date(2021, 7, 1)]) == []


def test_year_keyed_amounts_and_dates() -> None:
    table = {2020: Decimal(1), 2022: Decimal(3)}
    assert [rules.Policy.for_year(table, y) for y in (2019, 2020, 2021, 2023)] == [1, 1, 1, 3]
    assert rules.add_months(date(2021, 8, 31), 6) == date(2022, 2, 28)
    assert rules.age_on(date(2020, 2, 29), date(2021, 2, 28)) == 0
    assert rules.birth_date("14010519800230123X") is None
    assert rules.months_between(date(2021, 4, 1), date(2021, 1, 1)) == 3
