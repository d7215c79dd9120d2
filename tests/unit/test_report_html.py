"""The HTML evaluation report rendered from made-up figures: no database, no browser."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from fangpin.report.html import RATES, CountyLine, FeedLine, ReportData, render_report


def county(code: str, rank: int, score: float, name: str = "县") -> CountyLine:
    return CountyLine(
        county_code=code, county_name=name, city_name="市", key_rank=rank, key_rank_change=-1,
        score=score, score_change=-0.5, households=100, missed_identifications=rank,
        open_problems=2 * rank, evaluating_city_name="太原市",
        rates={column: 0.9 if column != "medical_rate" else None for column, _, _ in RATES},
    )


def data() -> ReportData:
    return ReportData(
        month=date(2021, 3, 1), published={"run_id": "r1", "month": "2021-03-01"},
        counties=[county("140122", 1, 95.0, "<阳曲县>"), county("140123", 2, 47.5)],
        province_rates={column: 0.8 for column, _, _ in RATES}, households=1000, persons=3000,
        missed_identifications=7, open_problems=9,
        feeds=[FeedLine("water", "水利厅", False, False, None, 0, 0, 0.0)],
    )


def test_one_bar_per_county_scaled_to_the_score() -> None:
    page = render_report(data(), generated_at=datetime(2021, 4, 10, tzinfo=UTC))
    widths = re.findall(r'class="bar score-bar" data-county="(\d+)" x="\d+" y="[\d.]+" '
                        r'width="([\d.]+)"', page)
    assert [(c, float(w)) for c, w in widths] == [("140122", 608.0), ("140123", 304.0)]
    assert len(re.findall(r'data-chart="rates"', page)) == 2
    assert page.count('class="bar rate-bar"') == 2 * (len(RATES) - 1)  # medical is null
    assert page.count('class="bar missed-bar"') == page.count('class="bar open-bar"') == 2


def test_text_is_escaped_and_nothing_is_fetched() -> None:
    page = render_report(data())
    assert "<阳曲县>" not in page and "&lt;阳曲县&gt;" in page
    assert "<script" not in page and "<link" not in page and "url(" not in page
    assert set(re.findall(r"https?://[^\s\"']+", page)) == {"http://www.w3.org/2000/svg"}
