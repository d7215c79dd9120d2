"""``fangpin report --pdf`` checked the way a reader sees it: in Debian's headless chromium.

The report of the published province (``conftest.evaluation_province``) is written by the CLI
itself, connected as the ``evaluator`` role (the report reads only what evaluators can), into
``out/report-check/``: the HTML, its A4 PDF, a full-page screenshot of the HTML and a PNG of
every PDF page, kept for a person to look at (the paths are printed). Then:

- chromium renders the HTML: every section and chart is there, one bar, rate chart and trend
  chart per key county, and the score bars are laid out from the axis start the chart states;
- every PDF page is A4 and not blank (poppler's pdftoppm renders it), and each section begins
  a page;
- the figures on the rendered page (its innerText) and in the PDF (pdftotext) are the ones SQL
  computes from the marts with the test's own queries: each key county's score, wrong-exit
  rate, income median and field-sample counts, the province's wrong-exit rate and income
  median, and feed reporting for every published month.

A missing chromium or poppler fails with the command that installs them: the report is a
deliverable, and a skipped check would hide that it was never seen. Cost on this 2-core machine:
about 20 s on top of the shared province (three chromium runs, one pdftoppm and pdftotext).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pytest

from fangpin.config import project_root

sys.path.insert(0, str(Path(__file__).parents[1] / "bi"))
from browser import Browser  # noqa: E402  (tests/bi/browser.py: chromium over DevTools)

pytestmark = pytest.mark.slow

CHECK_DIR = project_root() / "out" / "report-check"
SECTIONS = {
    "summary": "重点帮扶县评价报告",
    "scores": "综合得分 Scores",
    "trends": "得分走势",
    "rates": "七项指标对比全省",
    "wrong-exits": "错退率与收入",
    "problems": "应纳未纳与未整改问题",
    "field-sample": "实地核查样本",
    "feeds": "报送及时率",
}
#: A4 in PostScript points, as pdfinfo reports it (595.28 × 841.89).
A4 = (595.0, 842.0)
INSTALL = "bash scripts/ensure-chromium.sh (as root; it runs apt-get)"


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed, so the report cannot be checked: {INSTALL}",
                    pytrace=False)
    return found


def run(*cmd: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@dataclass(frozen=True)
class Printed:
    html: Path
    pdf: Path
    month: date
    url: str


@pytest.fixture(scope="module")
def printed(evaluation_province) -> Printed:
    """The CLI writes the report and its PDF, connected as an evaluator."""
    tool("chromium")
    month = evaluation_province.months[-1]
    shutil.rmtree(CHECK_DIR, ignore_errors=True)
    html = CHECK_DIR / f"report-{month:%Y-%m}.html"
    env = {**os.environ, "WAREHOUSE_URL": evaluation_province.url,
           "PGOPTIONS": "-c role=evaluator"}
    started = time.perf_counter()
    out = run(sys.executable, "-m", "fangpin.cli", "report", "--month", f"{month:%Y-%m}",
              "--out", str(html), "--pdf", env=env)
    seconds = time.perf_counter() - started
    pdf = html.with_suffix(".pdf")
    assert f"report written: {html}" in out and f"report printed (A4): {pdf}" in out, out
    assert html.stat().st_size > 10_000 and pdf.read_bytes()[:5] == b"%PDF-"
    print(f"\n[report] {html} and {pdf} written by the CLI as evaluator in {seconds:.1f} s")
    return Printed(html, pdf, month, evaluation_province.url)


def sql(url: str, text: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        conn.execute("set role evaluator")
        return conn.execute(text, params).fetchall()


# --- the HTML ---------------------------------------------------------------------------


def test_the_report_is_self_contained(printed: Printed) -> None:
    text = printed.html.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    # No URL anywhere but the SVG namespace: nothing to fetch, nothing from a CDN.
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+[^\s\"')]*", text))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls
    assert not re.search(r"<link\b|<img\b|@import|url\(", text)


@pytest.fixture(scope="module")
def rendered(printed: Printed, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The page in chromium: its text, the score bars' laid-out widths, a full screenshot."""
    tool("chromium")
    shot = CHECK_DIR / "report-screenshot.png"
    with Browser(tmp_path_factory.mktemp("chromium"), width=1400, height=1000) as page:
        page.goto(printed.html.as_uri())
        page.wait_for("document.readyState === 'complete' && !!document.getElementById('feeds')",
                      what="the report to load")
        found = page.evaluate(
            "JSON.stringify({text: document.body.innerText,"
            " height: document.documentElement.scrollHeight,"
            " bars: [...document.querySelectorAll('svg[data-chart=scores] rect.score-bar')]"
            "   .map(b => [b.dataset.county, b.getBoundingClientRect().width]),"
            " note: document.querySelector('svg[data-chart=scores] .axis-note')?.textContent,"
            " start: document.querySelector('svg[data-chart=scores]').dataset.axisStart,"
            " end: document.querySelector('svg[data-chart=scores]').dataset.axisEnd})"
        )
        result = json.loads(found)
        data = page.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1400, "height": result["height"], "scale": 1},
        })["data"]
        shot.write_bytes(base64.b64decode(data))
        # The same page in screen-sized pieces, each small enough to look at whole.
        for i, top in enumerate(range(0, result["height"], 1800), start=1):
            piece = page.call("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": top, "width": 1400,
                         "height": min(1800, result["height"] - top), "scale": 1},
            })["data"]
            (CHECK_DIR / f"report-screenshot-{i}.png").write_bytes(base64.b64decode(piece))
        result["dom"] = page.evaluate("document.documentElement.outerHTML")
        assert not page.errors, page.errors
    print(f"\n[report] screenshot of the whole page: {shot}; in pieces: "
          f"{CHECK_DIR}/report-screenshot-<n>.png")
    result["shot"] = shot
    return result


def key_counties(url: str, month: date) -> list[tuple]:
    return sql(url, """
        select s.county_code, s.county_name, s.score, s.key_rank, s.eliminated_households,
               s.relapsed_eliminated_households, s.wrong_exit_rate, s.income_median,
               s.city_name, a.evaluating_city_name
        from marts.mart_county_scorecard s
        left join marts.mart_evaluation_assignment a
               on a.county_code = s.county_code and a.year = extract(year from s.month)
        where s.month = %s and s.is_key_county
        order by s.key_rank nulls last, s.county_code
    """, (month,))


def test_chromium_renders_every_section_and_a_chart_per_county(
    printed: Printed, rendered: dict
) -> None:
    dom = rendered["dom"]
    counties = key_counties(printed.url, printed.month)
    for anchor in SECTIONS:
        assert f'<section id="{anchor}"' in dom, anchor
    scores_svg = dom[dom.index('data-chart="scores"'):]
    scores_svg = scores_svg[: scores_svg.index("</svg>")]
    assert len(re.findall(r'class="bar score-bar"', scores_svg)) == sum(
        1 for c in counties if c[2] is not None)
    assert len(re.findall(r'data-chart="rates"', dom)) == len(counties)
    assert len(re.findall(r'data-chart="trend"', dom)) == len(counties)
    assert len(re.findall(r'class="bar missed-bar"', dom)) == len(counties)
    published = [r[0] for r in sql(printed.url, "select distinct month from "
                                   "marts.mart_county_scorecard where month <= %s order by 1",
                                   (printed.month,))]
    assert len(published) >= 2, "the trend needs more than one published month"
    # One point per county and month it has a score.
    points = sql(printed.url, "select count(*) from marts.mart_county_scorecard where "
                 "score is not null and month <= %s and county_code in (select county_code "
                 "from marts.mart_county_scorecard where month = %s and is_key_county)",
                 (printed.month, printed.month))[0][0]
    assert dom.count('class="score-point"') == points
    for code, *_ in counties:
        assert f'<tr data-county="{code}">' in dom
    shot = rendered["shot"].read_bytes()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", shot[16:24])
    assert width == 1400 and height == rendered["height"] > 4000
    assert len(shot) > 300_000, "a blank page compresses to almost nothing"


def test_score_bars_are_laid_out_from_the_axis_start_the_chart_states(
    printed: Printed, rendered: dict
) -> None:
    scores = {c[0]: float(c[2]) for c in key_counties(printed.url, printed.month)
              if c[2] is not None}
    start, end = float(rendered["start"]), float(rendered["end"])
    # The axis starts where the data does: below the lowest score, far above 0.
    assert 0 < start < min(scores.values()) and end >= max(scores.values())
    assert min(scores.values()) - start < (max(scores.values()) - min(scores.values()))
    assert rendered["note"].startswith(f"axis starts at {start:g}")
    measured = dict(rendered["bars"])
    assert set(measured) == set(scores)
    widest = max(measured.values())
    top = max(scores.values())
    for code, width in measured.items():
        expected = widest * (scores[code] - start) / (top - start)
        assert width == pytest.approx(expected, abs=1.0), code


# --- the PDF ----------------------------------------------------------------------------


def pdf_pages(pdf: Path) -> list[str]:
    """Each page's text, as pdftotext lays it out."""
    text = run(tool("pdftotext"), "-layout", str(pdf), "-")
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def pgm_ink(path: Path) -> float:
    """The share of a greyscale PGM's pixels that are not white."""
    data = path.read_bytes()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert header, path
    pixels = data[header.end():]
    return sum(1 for value in pixels if value < 200) / len(pixels)


def test_every_pdf_page_is_a4_and_not_blank(printed: Printed, tmp_path: Path) -> None:
    info = run(tool("pdfinfo"), str(printed.pdf))
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert (float(size.group(1)), float(size.group(2))) == pytest.approx(A4, abs=1.0)
    assert pages >= len(SECTIONS)
    run(tool("pdftoppm"), "-r", "30", "-gray", str(printed.pdf), str(tmp_path / "g"))
    grey = sorted(tmp_path.glob("g-*.pgm"))
    assert len(grey) == pages
    ink = [pgm_ink(p) for p in grey]
    assert all(share > 0.01 for share in ink), ink
    run(tool("pdftoppm"), "-r", "70", "-png", str(printed.pdf), str(CHECK_DIR / "page"))
    pngs = sorted(CHECK_DIR.glob("page-*.png"))
    assert len(pngs) == pages
    print(f"\n[report] {pages} A4 pages, ink per page {[f'{s:.1%}' for s in ink]}; "
          f"PNGs: {CHECK_DIR}/page-*.png")


def test_each_section_begins_a_page(printed: Printed) -> None:
    firsts = [next((line.strip() for line in page.splitlines() if line.strip()), "")
              for page in pdf_pages(printed.pdf)]
    for anchor, title in SECTIONS.items():
        assert any(first.startswith(title) for first in firsts), (anchor, firsts)


# --- the numbers, against SQL -----------------------------------------------------------


def texts(printed: Printed, rendered: dict) -> dict[str, str]:
    return {"html": rendered["text"], "pdf": "\n".join(pdf_pages(printed.pdf))}


def line_with(text: str, *pieces: str) -> bool:
    """Whether one line holds the pieces in order, separated by blanks (table cells)."""
    pattern = r"\s+".join(re.escape(p) for p in pieces)
    return any(re.search(pattern, line) for line in text.splitlines())


def pct2(value: object) -> str:
    return "-" if value is None else f"{float(value) * 100:.2f}%"  # type: ignore[arg-type]


def test_each_key_countys_figures_are_the_marts(printed: Printed, rendered: dict) -> None:
    counties = key_counties(printed.url, printed.month)
    for where, text in texts(printed, rendered).items():
        for code, _name, score, _rank, eliminated, relapsed, rate, median, city, judge in counties:
            score_text = "-" if score is None else f"{float(score):.2f}"
            assert line_with(text, code, city, judge or "-", score_text), (where, code)
            median_text = "-" if median is None else f"{float(median):,.2f}"
            assert line_with(text, code, f"{eliminated:,}", f"{relapsed:,}", pct2(rate),
                             median_text), (where, code, "wrong exits and income")


def test_the_province_figures_are_the_marts(printed: Printed, rendered: dict) -> None:
    eliminated, relapsed, rate = sql(printed.url, """
        select sum(eliminated_households), sum(relapsed_eliminated_households),
               sum(relapsed_eliminated_households)::numeric / nullif(sum(eliminated_households), 0)
        from marts.mart_county_scorecard where month = %s
    """, (printed.month,))[0]
    # The median as the middle row(s) of the sorted incomes: not the report's own query.
    median = sql(printed.url, """
        with ordered as (
            select per_capita_net_income as income,
                   row_number() over (order by per_capita_net_income) as n,
                   count(*) over () as total
            from marts.fct_household_month
            where month = %s and per_capita_net_income is not null
        )
        select round(avg(income), 2) from ordered where n in ((total + 1) / 2, (total + 2) / 2)
    """, (printed.month,))[0][0]
    assert rate is not None and median is not None
    for where, text in texts(printed, rendered).items():
        assert line_with(text, "全省 Province", f"{eliminated:,}", f"{relapsed:,}", pct2(rate),
                         f"{float(median):,.2f}"), where
        assert pct2(rate) in text and f"{float(median):,.2f}" in text, where
    print(f"\n[report] province: wrong-exit rate {pct2(rate)} ({relapsed}/{eliminated}), "
          f"income median {float(median):,.2f}: on the page and in the PDF")


def test_the_field_sample_per_county_is_the_marts(printed: Printed, rendered: dict) -> None:
    rows = sql(printed.url, """
        select county_code, evaluating_city_name, count(*),
               count(*) filter (where reason = 'missed_identification'),
               count(*) filter (where reason = 'random')
        from marts.mart_field_sample where month = %s
        group by county_code, evaluating_city_name
    """, (printed.month,))
    assert rows
    for where, text in texts(printed, rendered).items():
        for code, judge, size, missed, random in rows:
            assert line_with(text, code, judge, str(size), str(missed), str(random)), (where, code)
    # Counts only: no masked id or masked name of a sampled head is on the page.
    heads = sql(printed.url, "select head_id_masked, head_name_masked from "
                "marts.mart_field_sample where month = %s", (printed.month,))
    dom = rendered["dom"]
    assert not any(h and h in dom for pair in heads for h in pair)


def test_feed_reporting_of_every_published_month_is_the_marts(
    printed: Printed, rendered: dict
) -> None:
    rows = sql(printed.url, """
        select month, feed, rows_loaded, rows_quarantined, coverage, target_coverage
        from marts.mart_feed_reporting where month <= %s
    """, (printed.month,))
    months = sorted({r[0] for r in rows})
    assert len(months) >= 2
    dom = rendered["dom"]
    for month, feed, loaded, quarantined, coverage, target in rows:
        row = re.search(rf'<tr data-feed="{feed}" data-month="{month:%Y-%m}">(.*?)</tr>', dom)
        assert row, (month, feed)
        cells = dict(re.findall(r'data-column="(\w+)">([^<]*)<', row.group(1)))
        assert cells["rows_loaded"] == f"{loaded:,}"
        assert cells["rows_quarantined"] == f"{quarantined:,}"
        assert cells["coverage"] == f"{float(coverage) * 100:.1f}%"
        # Beside it, coverage of the population the feed should cover (none: "-").
        assert cells["target_coverage"] == (
            "-" if target is None else f"{float(target) * 100:.1f}%"), (month, feed)
        # The target population is named with the ages dim_policy holds for the month's year.
        if feed in ("education", "employment"):
            ages = dict(sql(printed.url, "select parameter, value::int from marts.dim_policy"
                            " where year = %s and parameter like %s",
                            (month.year, "%\\_age\\_m%")))
            expected = (f"members aged {ages['compulsory_age_min']}-{ages['compulsory_age_max']}"
                        if feed == "education" else
                        f"members {ages['working_age_min']}-{ages['working_age_max']} able to work")
            assert expected in cells["target_population"], (month, feed, cells)
    pdf = "\n".join(pdf_pages(printed.pdf))
    for month in months:
        assert f"{month:%Y-%m}" in pdf
