"""The domain declared once (fangpin.domain): it agrees with the contract, with every layer
that reads it, and with dbt's generated copy of it; months parse and step as the CLI needs."""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from fangpin.domain import codes, months
from fangpin.domain.dbt import MACRO_PATH, render_macro
from fangpin.feeds.dbt import MACRO_PATH as FEED_COLUMNS_PATH
from fangpin.transform.generated_macros import macro_in_sync
from fangpin.transform.generated_macros import main as domain_main

ROOT = Path(__file__).resolve().parents[2]
RULES = (ROOT / "docs" / "contract" / "RULES.md").read_text(encoding="utf-8")


def _section_rows(heading: str, first_header: str | None = None) -> list[list[str]]:
    """The rows of the first table under ``heading`` in RULES.md (the first whose header
    starts with ``first_header``, when given), as cell lists, less the header."""
    section = RULES.split(heading, 1)[1].split("\n#", 1)[0]
    tables: list[list[list[str]]] = [[]]
    for line in section.splitlines()[1:]:
        if line.startswith("|"):
            if not line.startswith("| ---"):
                tables[-1].append([cell.strip() for cell in line.strip("|").split("|")])
        elif tables[-1]:
            tables.append([])
    return next(t for t in tables if first_header is None or t[0][0] == first_header)[1:]


def test_the_generated_dbt_macro_is_in_sync_with_the_declaration():
    assert macro_in_sync(ROOT), f"run make macros ({MACRO_PATH})"


def test_a_changed_declaration_makes_the_check_fail(tmp_path, monkeypatch):
    for relative in (MACRO_PATH, FEED_COLUMNS_PATH):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, tmp_path / relative)
    assert domain_main(["--check", "--root", str(tmp_path)]) == 0
    monkeypatch.setattr(codes, "DOUBT_POINTS", (*codes.DOUBT_POINTS,
                                                codes.DoubtPoint("NEW_POINT", "新疑点")))
    assert "dp_new_point" in render_macro()
    assert domain_main(["--check", "--root", str(tmp_path)]) == 1
    assert domain_main(["--write", "--root", str(tmp_path)]) == 0
    assert domain_main(["--check", "--root", str(tmp_path)]) == 0


def test_a_new_contract_column_makes_the_feed_columns_stale(tmp_path, monkeypatch):
    from fangpin.feeds import contracts, dbt

    for relative in (MACRO_PATH, FEED_COLUMNS_PATH):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, tmp_path / relative)
    water = contracts.FEEDS["water"]
    extra = contracts.Column("pipe_km", "管网长度", contracts.Kind.AMOUNT)
    monkeypatch.setitem(contracts.FEEDS, "water", contracts.Feed(
        water.name, water.title, (*water.columns, extra)))
    assert "('pipe_km', 'numeric(14, 2)')]," in dbt.render_macro()
    assert domain_main(["--check", "--root", str(tmp_path)]) == 1


def test_every_signal_of_the_contract_is_declared_with_its_chinese_label():
    table = _section_rows("## Household signals")
    assert [(code, zh) for code, zh, _ in table] == [(s.code, s.chinese) for s in codes.SIGNALS]


def test_every_doubt_point_of_the_contract_is_declared_with_its_chinese_label():
    table = _section_rows("## Registry doubt points")
    assert [(c, zh) for c, zh, _ in table] == [(d.code, d.chinese) for d in codes.DOUBT_POINTS]


def test_the_guarantees_are_met_when_none_of_their_signals_is_raised():
    table = _section_rows("### The four guarantees")
    declared = {g.column: [s.code for s in codes.guarantee_signals(g.name)]
                for g in codes.GUARANTEES}
    assert {col.strip("`"): [c.strip() for c in met.split(",")] for _, col, met in table} \
        == declared
    assert [re.search(r"\((.+)\)", name)[1] for name, _, _ in table] \
        == [g.chinese for g in codes.GUARANTEES]


def test_should_monitor_is_the_contract_s_signals_income_first():
    row = next(r for r in _section_rows("### Should the household be monitored?")
               if r[0] == "`should_monitor`")
    listed = re.search(r"any of ([A-Z_, ]+?) \(", row[2])[1].split(", ")
    assert listed == [s.code for s in codes.MONITOR_SIGNALS]


def test_the_rates_are_the_contract_s_with_their_chinese_labels():
    table = _section_rows("## County scorecard", "rate")
    assert [(r, zh) for r, zh, _ in table] == [
        (r.name, r.chinese) for r in codes.RATES
    ]


def test_every_layer_names_the_same_feeds():
    from fangpin.feeds import contracts
    from fangpin.synth import contract as synth

    assert contracts.FEED_NAMES == synth.FEED_NAMES == codes.FEED_NAMES
    assert tuple(contracts.FEEDS) == codes.FEED_NAMES
    assert codes.REGISTRY_FEEDS == ("registry_households", "registry_members")


def test_the_policy_catalog_checks_every_declared_parameter():
    from fangpin.policy.catalog import PARAMETERS

    assert tuple(PARAMETERS) == codes.POLICY_PARAMETERS


def test_the_problem_codes_are_those_the_oracle_reads_from_the_rules():
    from oracle.rules import PROBLEM_CODES

    assert codes.PROBLEM_CODES == PROBLEM_CODES


@pytest.mark.parametrize("text, expected", [
    ("2021-03", date(2021, 3, 1)), ("2021-03-01", date(2021, 3, 1)),
    (" 2021-12 ", date(2021, 12, 1)),
])
def test_parse_month_takes_a_month_or_its_first_day(text, expected):
    assert months.parse_month(text) == expected


@pytest.mark.parametrize("text", ["2021-13", "2021-3", "2021-03-02", "march", ""])
def test_parse_month_refuses_anything_else(text):
    with pytest.raises(ValueError, match="YYYY-MM"):
        months.parse_month(text)


def test_month_ranges_span_years_and_refuse_running_backwards():
    assert months.month_range("2021-11..2022-02") == [
        date(2021, 11, 1), date(2021, 12, 1), date(2022, 1, 1), date(2022, 2, 1)]
    assert months.month_range("2021-03") == [date(2021, 3, 1)]
    with pytest.raises(ValueError, match="backwards"):
        months.month_range("2021-03..2021-01")


def test_month_arithmetic():
    assert months.add_months(date(2021, 1, 1), -1) == date(2020, 12, 1)
    assert months.add_months(date(2021, 11, 1), 14) == date(2023, 1, 1)
    assert months.next_month(date(2021, 12, 1)) == date(2022, 1, 1)
    assert months.previous_month(datetime(2022, 1, 15, 3)) == date(2021, 12, 1)
    assert months.months_between(date(2020, 11, 1), date(2021, 2, 1)) == 3
    assert months.month_end(date(2024, 2, 1)) == date(2024, 2, 29)


def test_month_folders():
    assert months.folder_month("2021-08") == date(2021, 8, 1)
    assert months.folder_month("2021-8") is None
    assert months.folder_month("2021-00") is None
    assert months.folder_name(date(2021, 8, 1)) == "2021-08"
