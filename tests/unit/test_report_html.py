"""The HTML evaluation report rendered from made-up figures: no database, no browser."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from fangpin.report.charts import axis_note, nice_axis
from fangpin.report.data import (
    FEED_COLUMNS,
    RATES,
    CountyLine,
    FeedColumn,
    FeedLine,
    FieldSample,
    Province,
    ReportData,
    TrendPoint,
)
from fangpin.report.html import render_report

JAN, FEB, MAR = date(2021, 1, 1), date(2021, 2, 1), date(2021, 3, 1)


def county(code: str, rank: int, score: float, name: str = "县") -> CountyLine:
    return CountyLine(
        county_code=code, county_name=name, city_name="市", key_rank=rank, key_rank_change=-1,
        score=score, score_change=-0.5, households=100, missed_identifications=rank,
        open_problems=2 * rank, evaluating_city_name="太原市",
        rates={column: 0.9 if column != "medical_rate" else None for column, _, _ in RATES},
        eliminated_households=40, relapsed_eliminated_households=rank - 1,
        wrong_exit_rate=(rank - 1) / 40,
        income_median=6543.5, income_growth=None,
        sample=FieldSample(20, rank, 20 - rank, 3, 7, "INCOME_LOW 5; HOUSE_UNSAFE 2"),
    )


def feed(month: date, arrived: bool = True, **extra: object) -> FeedLine:
    values = {"arrived": arrived, "on_time": arrived, "days_late": 0 if arrived else None,
              "files_rejected": 0, "rows_loaded": 1200 if arrived else 0,
              "rows_quarantined": 3, "coverage_basis": "people",
              "coverage": 0.157 if arrived else 0.0, **extra}
    return FeedLine(month, "education", "教育厅 学籍信息", values)


def data() -> ReportData:
    counties = [county("140122", 1, 95.0, "<阳曲县>"), county("140123", 2, 80.0)]
    return ReportData(
        month=MAR, published={"run_id": "r1", "month": "2021-03-01"},
        counties=counties,
        province=Province(
            households=1000, persons=3000, missed_identifications=7, open_problems=9,
            rates={column: 0.8 for column, _, _ in RATES}, eliminated_households=400,
            relapsed_eliminated_households=7, wrong_exit_rate=7 / 400, income_median=7001.25,
        ),
        trend=[TrendPoint(m, c.county_code, c.score - 2 + i, c.key_rank)
               for i, m in enumerate((JAN, FEB, MAR)) for c in counties],
        feeds=[feed(MAR), feed(FEB, arrived=False), feed(JAN)],
    )


def test_the_score_axis_starts_where_the_scores_do_and_says_so() -> None:
    page = render_report(data(), generated_at=datetime(2021, 4, 10, tzinfo=UTC))
    scores = page[page.index('data-chart="scores"'):]
    scores = scores[: scores.index("</svg>")]
    assert 'data-axis-start="75"' in scores and "axis starts at 75" in scores
    widths = re.findall(r'class="bar score-bar" data-county="(\d+)" x="\d+" y="[\d.]+" '
                        r'width="([\d.]+)"', scores)
    # Axis 75-100 on 620 px: 95 is 20/25 of it, 80 is 5/25.
    assert [(c, float(w)) for c, w in widths] == [("140122", 496.0), ("140123", 124.0)]


@pytest.mark.parametrize(
    ("values", "ceiling", "start"),
    [
        ([79.3, 97.1], 100, 75),     # the scores: not 0-100
        ([88.0, 91.0], 100, 87),     # a narrow range: a fine step
        ([0.62, 0.99], 1.0, 0.5),    # rates
        ([3.0, 40.0], None, 0),      # counts near 0 start at 0
    ],
)
def test_nice_axis_starts_at_a_round_number_below_the_data(
    values: list[float], ceiling: float | None, start: float
) -> None:
    axis = nice_axis(values, ceiling=ceiling)
    assert axis.start == pytest.approx(start)
    assert axis.start < min(values) and axis.end >= max(values)
    assert ceiling is None or axis.end <= ceiling
    assert (axis_note(axis) == "") == (start == 0)


def test_every_section_is_there_with_its_figures() -> None:
    page = render_report(data())
    for section in ("summary", "scores", "trends", "rates", "wrong-exits", "problems",
                    "field-sample", "feeds"):
        assert f'<section id="{section}"' in page, section
    assert page.count('data-chart="trend"') == 2
    assert page.count('class="score-point"') == 6
    assert "1.75%" in page            # the province's wrong-exit rate, 7 / 400
    assert "7,001.25" in page         # the province's income median
    assert page.count('class="wrong-exit worse"') == 1   # 1/40 = 2.5% is over the 2% limit
    assert page.count('class="sample-size">20<') == 2
    assert "INCOME_LOW 5; HOUSE_UNSAFE 2" in page
    # Feed reporting of all three months, the latest first, and the overview's missing cell.
    assert re.findall(r'<tr class="month-head"><th colspan="\d+">(\d{4}-\d\d)<', page) == [
        "2021-03", "2021-02", "2021-01"]
    assert "未报送 missing" in page
    assert "人 registered people" in page


def test_one_more_feed_column_is_one_more_entry() -> None:
    extra = FeedColumn("target_coverage", "目标覆盖率", "Target coverage", "pct")
    report = replace(data(), feeds=[feed(MAR, target_coverage=0.93)],
                     feed_columns=(*FEED_COLUMNS, extra))
    page = render_report(report)
    assert "目标覆盖率<br>Target coverage" in page
    assert '<td class="" data-column="target_coverage">93.0%</td>' in page
    # A publish without a column: the report leaves it out rather than failing.
    fewer = tuple(c for c in FEED_COLUMNS if c.column != "files_rejected")
    page = render_report(replace(data(), feed_columns=fewer))
    assert 'data-column="files_rejected"' not in page and "Files rejected" not in page


def test_text_is_escaped_and_nothing_is_fetched() -> None:
    page = render_report(data())
    assert "<阳曲县>" not in page and "&lt;阳曲县&gt;" in page
    assert "<script" not in page and "<link" not in page and "url(" not in page
    assert set(re.findall(r"https?://[^\s\"']+", page)) == {"http://www.w3.org/2000/svg"}


def test_the_print_stylesheet_makes_a4_pages_without_cut_charts() -> None:
    page = render_report(data())
    assert "@page{size:A4" in page
    assert "section{break-before:page}" in page
    assert "figure,svg" in page and "break-inside:avoid" in page


def test_target_populations_are_named_with_the_ages_of_their_year() -> None:
    """The feed table names a target population with the ages dim_policy holds for the row's
    year (an imported change shows there), and without invented ages for a year it lacks."""
    columns = (*FEED_COLUMNS, FeedColumn("target_population", "目标人群", "Target", "basis"))
    lines = [
        feed(FEB, target_population="compulsory_age_people"),
        feed(JAN, target_population="working_age_labour"),
        replace(feed(MAR), month=date(2022, 3, 1), values={
            **feed(MAR).values, "target_population": "compulsory_age_people"}),
    ]
    ages = {2021: {"compulsory_age_min": 7, "compulsory_age_max": 16,
                   "working_age_min": 18, "working_age_max": 59}}
    page = render_report(replace(data(), feeds=lines, feed_columns=columns, ages_by_year=ages))
    cells = dict(re.findall(
        r'<tr data-feed="education" data-month="([\d-]+)">.*?'
        r'data-column="target_population">([^<]*)</td>', page))
    assert cells == {
        "2021-02": "义务教育适龄人口 members aged 7-16",
        "2021-01": "劳动年龄劳动力 members 18-59 able to work",
        "2022-03": "义务教育适龄人口 members of compulsory-education age",
    }
    assert "6-15" not in page and "16-60" not in page
