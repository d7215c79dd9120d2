"""``fangpin report`` rendered by a real headless browser (Debian's chromium).

The report is written from the published province of ``conftest.evaluation_province``, opened by
chromium from a ``file://`` URL with networking switched off, screenshotted and its DOM dumped.
The DOM must hold the SVG charts and one bar per key county, and a measuring copy of the page
(a small script added by the test, never part of the report) must find every score bar laid out
with a width proportional to its score. A missing chromium fails the test with the command that
installs it: the report is a deliverable, and a skipped check would hide that it was never seen.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from datetime import date
from pathlib import Path

import psycopg
import pytest

from fangpin.config import project_root
from fangpin.report import write_report

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--window-size=1400,2000",
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail(
            "chromium is not installed, so the HTML report cannot be checked in a browser. "
            "Install Debian's chromium with `bash scripts/ensure-chromium.sh` (as root; it runs "
            "apt-get) and run the tests again.",
            pytrace=False,
        )
    return found


def run_chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def report(evaluation_province, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, date]:
    month = evaluation_province.months[-1]
    out = tmp_path_factory.mktemp("report") / "report.html"
    path = write_report(evaluation_province.url, month, out)
    assert path == out and path.stat().st_size > 10_000
    return path, month


def key_counties(url: str, month: date) -> list[tuple[str, float]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select county_code, score from marts.mart_county_scorecard "
            "where month = %s and is_key_county order by key_rank, county_code",
            (month,),
        ).fetchall()


def test_the_report_is_self_contained(report: tuple[Path, date]) -> None:
    text = report[0].read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    # No URL anywhere but the SVG namespace: nothing to fetch, nothing from a CDN.
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+[^\s\"')]*", text))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls
    assert not re.search(r"<link\b|<img\b|@import|url\(", text)


def test_chromium_renders_the_charts_and_every_bar(
    report: tuple[Path, date], evaluation_province, tmp_path: Path
) -> None:
    path, month = report
    counties = key_counties(evaluation_province.url, month)
    dom = run_chromium(tmp_path / "profile", "--dump-dom", path.as_uri()).stdout
    for chart in ("scores", "rates", "problems"):
        assert f'data-chart="{chart}"' in dom, chart
    scores_svg = dom[dom.index('data-chart="scores"'):]
    scores_svg = scores_svg[: scores_svg.index("</svg>")]
    assert len(re.findall(r'class="bar score-bar"', scores_svg)) == len(counties)
    assert len(re.findall(r'data-chart="rates"', dom)) == len(counties)
    assert len(re.findall(r'class="bar missed-bar"', dom)) == len(counties)
    assert len(re.findall(r'class="bar open-bar"', dom)) == len(counties)
    assert len(re.findall(r'<tr data-county="', dom)) == len(counties)
    for code, _ in counties:
        assert f'data-county="{code}"' in dom


def test_bars_are_laid_out_in_proportion_to_the_scores(
    report: tuple[Path, date], evaluation_province, tmp_path: Path
) -> None:
    """A measuring copy: the browser's own layout of each score bar, written into the DOM."""
    path, month = report
    measure = tmp_path / "measure.html"
    probe = (
        "<script>addEventListener('DOMContentLoaded', () => {"
        "const bars = [...document.querySelectorAll('svg[data-chart=scores] rect.score-bar')];"
        "document.body.setAttribute('data-measured', JSON.stringify(bars.map(b => "
        "[b.dataset.county, b.getBoundingClientRect().width])));});</script>"
    )
    measure.write_text(
        path.read_text(encoding="utf-8").replace("</body>", probe + "</body>"), encoding="utf-8"
    )
    dom = run_chromium(tmp_path / "profile", "--dump-dom", measure.as_uri()).stdout
    found = re.search(r'data-measured="([^"]*)"', dom)
    assert found, "the browser did not lay the page out"
    measured = json.loads(found.group(1).replace("&quot;", '"'))
    scores = dict(key_counties(evaluation_province.url, month))
    assert {code for code, _ in measured} == set(scores)
    widest = max(width for _, width in measured)
    top = max(float(s) for s in scores.values())
    for code, width in measured:
        assert width == pytest.approx(widest * float(scores[code]) / top, abs=1.0), code


def test_the_screenshot_shows_the_report(
    report: tuple[Path, date], tmp_path: Path
) -> None:
    path, _ = report
    shot = tmp_path / "report-screenshot.png"
    run_chromium(tmp_path / "profile", f"--screenshot={shot}", path.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1400, 2000)
    assert len(data) > 50_000, "a blank page compresses to almost nothing"
    keep = project_root() / "out" / "report-screenshot.png"
    keep.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, keep)
