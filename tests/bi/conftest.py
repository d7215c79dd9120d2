"""Superset started against the e2e province (two published months), and a logged-in Chromium.

Superset's environment (``.venv-bi``) is made by ``make test-bi`` (``make bi-install``); a
missing one fails with the command that makes it. A Chromium that cannot start skips the
browser tests with the reason, never silently.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# The BI code (bi/fangpin_bi) is on the path by pyproject's pytest `pythonpath`; this folder's
# browser driver as the folder of a conftest.py (pytest's default import mode), like faultkit.
from browser import Browser, BrowserError
from fangpin_bi import warehouse
from fangpin_bi.service import ADMIN, Service

from fangpin.config import project_root
from fangpin.report.pdf import find_chromium


def _e2e_fixtures():  # type: ignore[no-untyped-def]
    """The e2e province fixture (tests/e2e/conftest.py), shared rather than rebuilt here."""
    path = Path(__file__).parents[1] / "e2e" / "conftest.py"
    found = importlib.util.spec_from_file_location("fangpin_e2e_conftest", path)
    assert found and found.loader
    module = importlib.util.module_from_spec(found)
    sys.modules[found.name] = module  # its dataclass looks itself up there
    found.loader.exec_module(module)
    return module


evaluation_province = _e2e_fixtures().evaluation_province

SCREENSHOTS = project_root() / "out" / "bi-screenshots"


@pytest.fixture(scope="session")
def superset(evaluation_province, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    venv = project_root() / ".venv-bi"
    if not (venv / "bin" / "superset").exists():
        pytest.fail("Superset is not installed: run `make bi-install` (or `make test-bi`)",
                    pytrace=False)
    service = Service(tmp_path_factory.mktemp("superset-state"), evaluation_province.url)
    started = time.perf_counter()
    try:
        service.start()
        service.timings["start total"] = round(time.perf_counter() - started, 1)
        print(f"\nSuperset start: {service.timings}")
        yield service
    finally:
        service.stop()
        warehouse.drop_bi(evaluation_province.url)


@pytest.fixture(scope="session")
def browser(superset: Service, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if find_chromium() is None:
        pytest.skip("chromium is not installed (bash scripts/ensure-chromium.sh): "
                    "the Superset dashboards were not checked in a browser")
    try:
        page = Browser(tmp_path_factory.mktemp("chromium"), width=1600, height=2600)
    except (BrowserError, OSError) as exc:
        pytest.skip(f"chromium could not start, the dashboards were not checked: {exc}")
    with page:
        login(page, superset.url(), superset.admin_password())
        yield page


def login(page: Browser, url: str, password: str) -> None:
    """Type the admin's name and password into Superset's login form and submit it."""
    page.goto(url + "/login/")
    page.wait_for("!!document.getElementById('password')", what="the login form")
    for field, text in (("username", ADMIN), ("password", password)):
        page.evaluate(f"document.getElementById('{field}').focus()")
        page.call("Input.insertText", {"text": text})
    page.evaluate("document.querySelector('[data-test=login-button]').click()")
    page.wait_for("!location.pathname.startsWith('/login')", what="the login to succeed")


HOLDERS = "[...document.querySelectorAll('[data-test=dashboard-component-chart-holder]')]"
#: Every chart holder present and none still loading; then each chart's text and table rows.
CHARTS_READY = f"""(() => {{
  const holders = {HOLDERS};
  if (holders.length < %d) return false;
  if (holders.some(h => h.querySelector('.loading, [data-test=loading-indicator]'))) return false;
  const drawn = h => h.querySelector('canvas, svg, table') ||
    h.innerText.trim().split('\\n').length >= 2;
  if (!holders.every(drawn)) return false;
  return true;
}})()"""
CHART_CONTENT = f"""JSON.stringify({HOLDERS}.map(h => ({{
  text: h.innerText,
  header: [...h.querySelectorAll('thead th')].map(c => c.innerText.trim()),
  rows: [...h.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim())),
}})))"""


def open_dashboard(page: Browser, url: str, charts: int, timeout: float = 120) -> list[dict]:
    """Open a dashboard, wait for its charts, return what each shows.

    Headless Chromium sometimes lays Superset's grid out before its width is known and draws
    no chart; a one-pixel change of the viewport makes it measure again.
    """
    page.goto(url)
    try:
        page.wait_for("!!document.querySelector('[data-test=grid-container]')",
                      what="the dashboard")
    except BrowserError as exc:
        shown = page.evaluate("location.href + ' ' + document.body.innerText.slice(0, 1500)")
        raise BrowserError(f"{exc}; the page shows: {shown}; errors: {page.errors[-5:]}") from exc
    deadline = time.monotonic() + timeout
    nudge = 0
    while time.monotonic() < deadline:
        if page.evaluate(CHARTS_READY % charts):
            time.sleep(1.5)  # the charts' own drawing (ECharts animates)
            return list(json.loads(page.evaluate(CHART_CONTENT)))
        if not page.evaluate(f"{HOLDERS}.length"):
            nudge += 1
            page.call("Emulation.setDeviceMetricsOverride",
                      {"width": 1600 - nudge % 2, "height": 2600, "deviceScaleFactor": 1,
                       "mobile": False})
        time.sleep(1)
    raise BrowserError(f"{url}: {charts} charts did not finish loading in {timeout:.0f} s "
                       f"(console errors: {page.errors[-5:]})")
