"""Apache Superset on the published marts, looked at in a real browser (headless Chromium).

Superset (``make bi``'s code: ``bi/fangpin_bi``) is started against the e2e province with two
published months, connected as a login in ``bi_reader``. Each dashboard of ``bi/dashboards``
is opened, its charts waited for and screenshotted (``out/bi-screenshots/``), and the figures
it shows are compared with SQL on the marts. A chart on a table ``bi_reader`` may not read
shows PostgreSQL's permission error, and the dashboards' builder refuses such a dataset.
"""

from __future__ import annotations

import re
from dataclasses import replace

import psycopg
import pytest
from browser import Browser
from conftest import SCREENSHOTS, open_dashboard
from fangpin_bi import spec, warehouse
from fangpin_bi.service import Service

pytestmark = [pytest.mark.slow, pytest.mark.bi]

DASHBOARDS = spec.load_dashboards()


def _chart(charts: list[dict], title: str) -> dict:
    found = [c for c in charts if c["text"].lstrip().startswith(title)]
    assert found, f"no chart titled {title!r} in {[c['text'][:40] for c in charts]}"
    return found[0]


def _big_number(chart: dict) -> str:
    numbers = re.findall(r"^\s*([-+]?[\d,.]+%?)\s*$", chart["text"], re.MULTILINE)
    assert numbers, chart["text"]
    return numbers[-1]


@pytest.mark.parametrize("board", DASHBOARDS, ids=[b.slug for b in DASHBOARDS])
def test_each_dashboard_shows_all_its_charts(
    superset: Service, browser: Browser, board: spec.Dashboard
) -> None:
    charts = open_dashboard(browser, f"{superset.url()}/superset/dashboard/{board.slug}/",
                            len(board.charts))
    shot = browser.screenshot(SCREENSHOTS / f"{board.slug}.png", full_page=False)
    assert shot.stat().st_size > 50_000, "a blank page compresses to almost nothing"
    assert len(charts) == len(board.charts)
    for chart in charts:
        assert "permission denied" not in chart["text"].lower(), chart["text"][:300]
        assert "error" not in chart["text"].lower(), chart["text"][:300]


def test_a_key_county_shows_its_score_and_rank(
    superset: Service, browser: Browser, evaluation_province
) -> None:
    month = evaluation_province.months[-1]
    with psycopg.connect(evaluation_province.url) as conn:
        code, score, rank, n = conn.execute(
            "select county_code, score, key_rank, count(*) over () "
            "from marts.mart_county_scorecard where month = %s and is_key_county "
            "order by key_rank desc, county_code limit 1",
            (month,),
        ).fetchone()
    charts = open_dashboard(browser, f"{superset.url()}/superset/dashboard/fangpin-key-counties/",
                            6)
    table = _chart(charts, "重点帮扶县得分与排名")
    # Headers read "排名 key_rank" (label, then code); the code is the last word.
    header = [(re.findall(r"[a-z_]+", h) or [h])[-1] for h in table["header"]]
    rows = [dict(zip(header, row, strict=False)) for row in table["rows"]]
    assert "county_code" in header, table["header"]
    assert len(rows) == n, "one row per key county of the newest month"
    row = next(r for r in rows if r["county_code"] == code)
    assert row["score"] == f"{score:.2f}"
    assert row["key_rank"] == str(rank)
    assert _big_number(_chart(charts, "重点帮扶县 key counties")) == str(n)
    print(f"\nkey county {code} {month:%Y-%m}: score {row['score']} (SQL {score}), "
          f"rank {row['key_rank']} (SQL {rank}), {n} key counties")


def test_the_province_rectification_rate_equals_sql(
    superset: Service, browser: Browser, evaluation_province
) -> None:
    month = evaluation_province.months[-1]
    with psycopg.connect(evaluation_province.url) as conn:
        (rate,) = conn.execute(
            "select sum(problems_rectified)::numeric / nullif(sum(problems_found), 0) "
            "from marts.mart_county_scorecard where month = %s",
            (month,),
        ).fetchone()
    charts = open_dashboard(
        browser, f"{superset.url()}/superset/dashboard/fangpin-problem-ledger/", 6
    )
    shown = _big_number(_chart(charts, "全省问题整改率"))
    assert shown == f"{rate * 100:.2f}%"
    print(f"\nprovince rectification rate {month:%Y-%m}: shown {shown}, SQL {rate}")


def test_a_chart_on_a_table_bi_reader_may_not_read_shows_a_permission_error(
    superset: Service, browser: Browser
) -> None:
    """As if someone added a chart on the intermediate schema through Superset's UI."""
    forbidden = spec.Dataset("forbidden_history", "int_household_month", schema="intermediate",
                             labels={"household_id": "户编号 household_id"})
    board = spec.Dashboard(
        name="forbidden", title="forbidden", slug="fangpin-test-forbidden", description="",
        filters=(), rows=(({"chart": "forbidden_rows", "width": 12},),),
        charts={"forbidden_rows": {"title": "不可读 forbidden", "kind": "table",
                                   "dataset": "forbidden_history",
                                   "columns": ["household_id", "county_code"]}},
    )
    superset.import_bundle({"forbidden_history": forbidden}, [board])
    page_url = f"{superset.url()}/superset/dashboard/{board.slug}/"
    browser.goto(page_url)
    text = browser.wait_for(
        "(() => { const t = document.body.innerText; "
        "return /permission denied/i.test(t) ? t : false; })()",
        what="the permission error", timeout=120,
    )
    assert "permission denied for schema intermediate" in text.lower()
    browser.screenshot(SCREENSHOTS / "permission-error.png", full_page=False)
    with psycopg.connect(superset.warehouse_url) as conn:
        (household,) = conn.execute(
            "select household_id from intermediate.int_household_month limit 1").fetchone()
    assert household not in text, "the forbidden table's data reached the page"


def test_the_builder_refuses_datasets_bi_reader_may_not_read(superset: Service) -> None:
    login_url = warehouse.login_url(superset.warehouse_url, warehouse.bi_login(
        superset.warehouse_url), superset.secret("bi_password"))
    datasets = spec.load_datasets()
    outside = replace(datasets["county_scorecard"], schema="raw", table="registry_households")
    with pytest.raises(warehouse.DatasetRefused, match="outside the published schema"):
        warehouse.check_readable(login_url, outside)
    contact = spec.Dataset("contact", "mart_field_sample_contact")
    with pytest.raises(warehouse.DatasetRefused, match="permission denied"):
        warehouse.check_readable(login_url, contact)
    for dataset in datasets.values():
        warehouse.check_readable(login_url, dataset)  # what the dashboards use is readable


def test_superset_reads_the_marts_as_a_bi_reader_login(superset: Service) -> None:
    login = warehouse.bi_login(superset.warehouse_url)
    with psycopg.connect(superset.warehouse_url) as conn:
        member, superuser = conn.execute(
            "select pg_has_role(%s, 'bi_reader', 'member'), rolsuper from pg_roles "
            "where rolname = %s", (login, login)).fetchone()
    assert member and not superuser
    for name in ("secret_key", "admin_password", "bi_password", "metadata_uri"):
        assert (superset.state / name).stat().st_mode & 0o777 == 0o600, name
