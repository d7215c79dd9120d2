"""Loading deliveries into raw: every feed in every format, quarantine, rejection, exactly-once
replacement, and all-or-nothing under a kill."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import psycopg
import pytest

from fangpin.feeds.contracts import FEEDS
from fangpin.feeds.normalise import id_check_char
from fangpin.load import FeedRejected, discover, load_feed_month, scan_landing

MONTH = date(2021, 12, 1)


def make_id(born: str = "19800101", seq: str = "123", region: str = "140105") -> str:
    first17 = region + born + seq
    return first17 + id_check_char(first17)


ID1 = make_id("19800101", "123")
ID2 = make_id("20100615", "246")
ID3 = make_id("19551130", "001")

# One valid row per feed, as a department would write it (labels, loose formats), and the
# values it must become in raw.
VALID: dict[str, dict[str, object]] = {
    "registry_households": {
        "household_id": "H001", "county_code": "140105", "village_code": "140105001001",
        "head_id_number": ID1, "household_type": "脱贫户", "monitoring_type": "边缘易致贫户",
        "monitoring_status": "风险未消除", "identified_on": "2021/3/1", "eliminated_on": "",
        "risk_causes": "因学、因病", "per_capita_net_income": "¥8,000.50", "relocated": "否",
    },
    "registry_members": {
        "household_id": "H001", "id_number": ID1, "name": "张三", "relation": "户主",
        "labour_capacity": "普通劳动力", "health": "健康",
    },
    "education": {
        "id_number": ID2, "name": "张小明", "school_code": "1140100001", "school_name": "太原一中",
        "stage": "初中", "status": "在校", "status_date": "2021-09-01", "subsidy_yuan": "500",
    },
    "medical": {
        "id_number": ID1, "name": "张三", "coverage_year": "2021", "scheme": "城乡居民基本医疗保险",
        "enrollment_status": "正常参保", "chronic_outpatient": "否", "total_expense_yuan": "1,200",
        "reimbursed_yuan": "800", "out_of_pocket_yuan": "400",
    },
    "housing": {
        "village_code": "140105001001", "householder_id_number": ID1,
        "appraisal_date": "2021年3月5日", "safety_grade": "C级", "disaster_damaged": "",
        "rectification_status": "已整改", "rectified_on": "20210601",
    },
    "water": {
        "village_code": "140105001001", "project_id": "P-01", "supply_mode": "集中供水",
        "quantity_ok": "是", "quality_ok": "Y", "convenience_ok": "yes", "reliability_ok": "true",
        "hidden_danger": "0", "rectification_status": "无需整改", "inspected_on": "2021-06-01",
    },
    "employment": {
        "id_number": ID1, "name": "张三", "employment_status": "外出务工", "work_location": "省外",
        "months_employed": "10", "monthly_income_yuan": "3500.5",
    },
    "social_assistance": {
        "id_number": ID3, "name": "李四", "assistance_type": "农村低保",
        "monthly_amount_yuan": "450", "start_on": "2020/1/1", "end_on": "",
    },
}

EXPECTED: dict[str, dict[str, object]] = {
    "registry_households": {
        "household_type": "out_of_poverty", "monitoring_type": "marginal",
        "monitoring_status": "at_risk", "identified_on": date(2021, 3, 1), "eliminated_on": None,
        "risk_causes": "illness;schooling", "per_capita_net_income": Decimal("8000.50"),
        "relocated": False,
    },
    "registry_members": {"id_number": make_id(seq="100"), "relation": "head",
                         "labour_capacity": "ordinary"},
    "education": {"stage": "junior", "status": "enrolled", "status_date": date(2021, 9, 1),
                  "subsidy_yuan": Decimal("500.00"), "school_code": "1140100001"},
    "medical": {"coverage_year": 2021, "scheme": "resident", "enrollment_status": "active",
                "chronic_outpatient": False, "total_expense_yuan": Decimal("1200.00")},
    "housing": {"appraisal_date": date(2021, 3, 5), "safety_grade": "C",
                "disaster_damaged": False, "rectification_status": "done",
                "rectified_on": date(2021, 6, 1)},
    "water": {"supply_mode": "centralized", "quantity_ok": True, "quality_ok": True,
              "convenience_ok": True, "reliability_ok": True, "hidden_danger": False,
              "rectification_status": "not_needed", "inspected_on": date(2021, 6, 1)},
    "employment": {"employment_status": "migrant", "work_location": "out_of_province",
                   "months_employed": 10, "monthly_income_yuan": Decimal("3500.50")},
    "social_assistance": {"assistance_type": "dibao", "monthly_amount_yuan": Decimal("450.00"),
                          "start_on": date(2020, 1, 1), "end_on": None},
}

# Typed cells as a spreadsheet would hold them.
XLSX_CELLS = {
    "2021/3/1": date(2021, 3, 1), "2021-09-01": date(2021, 9, 1), "2021年3月5日": date(2021, 3, 5),
    "20210601": 20210601, "2021-06-01": date(2021, 6, 1), "2020/1/1": date(2020, 1, 1),
    "500": 500, "2021": 2021, "1,200": 1200.0, "800": 800.0, "400": 400, "10": 10,
    "3500.5": 3500.5, "450": 450.0, "1140100001": 1140100001, "": None,
}

ENCODINGS = {"utf8": "utf-8", "bom": "utf-8-sig", "gb18030": "gb18030"}


def headers(feed: str, style: str) -> list[str]:
    cols = FEEDS[feed].columns
    if style == "english":
        return [c.name for c in cols]
    if style == "chinese":
        return [c.chinese for c in cols]
    return [f"  {c.name.upper()} " if i % 2 else f" {c.chinese}" for i, c in enumerate(cols)]


def write_file(
    landing: Path, feed: str, name: str, header: list[str], rows: list[list[object]],
    fmt: str = "utf8", month: date = MONTH,
) -> Path:
    folder = landing / f"{month:%Y-%m}" / feed
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if fmt == "xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        book.save(path)
    else:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
        path.write_bytes(buffer.getvalue().encode(ENCODINGS[fmt]))
    return path


def valid_rows(feed: str, n: int, fmt: str = "utf8") -> list[list[object]]:
    """n valid rows; the registry's unique keys differ between rows."""
    rows = []
    for i in range(n):
        values = dict(VALID[feed])
        if feed == "registry_households":
            values["household_id"] = f"H{i:03d}"
        if feed == "registry_members":
            values["id_number"] = make_id(seq=f"{100 + i:03d}")
        row = [values[c.name] for c in FEEDS[feed].columns]
        if fmt == "xlsx":
            row = [XLSX_CELLS.get(v, v) if isinstance(v, str) else v for v in row]
        rows.append(row)
    return rows


def query(url: str, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def raw_rows(url: str, feed: str, month: date = MONTH) -> list[dict]:
    with psycopg.connect(url) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(
            f"select * from raw.{feed} where _snapshot_month = %s"
            " order by _source_file, _source_line",
            (month,),
        )
        return cur.fetchall()


def history(url: str, feed: str, month: date = MONTH) -> list[tuple]:
    return query(
        url,
        "select file_name, status, rows_read, rows_loaded, rows_quarantined, error"
        " from ops.load_history where feed = %s and month = %s order by load_id",
        feed, month,
    )


def counts(url: str, feed: str, month: date = MONTH) -> tuple[int, int, int]:
    raw = query(url, f"select count(*) from raw.{feed} where _snapshot_month = %s", month)[0][0]
    quarantined = query(
        url, "select count(*) from ops.quarantine where feed = %s and month = %s", feed, month
    )[0][0]
    hist = query(
        url, "select count(*) from ops.load_history where feed = %s and month = %s", feed, month
    )[0][0]
    return raw, quarantined, hist


# --------------------------------------------------------------------------- every feed, format

FORMATS = [("utf8", "english"), ("bom", "mixed"), ("gb18030", "chinese"), ("xlsx", "chinese")]
CASES = [(feed, fmt, style) for feed in FEEDS for fmt, style in FORMATS]


@pytest.mark.parametrize("feed,fmt,style", CASES, ids=[f"{f}-{m}" for f, m, _ in CASES])
def test_each_feed_loads_in_each_format(
    module_warehouse_db: str, tmp_path: Path, feed: str, fmt: str, style: str
):
    url = module_warehouse_db
    month = date(2020 + CASES.index((feed, fmt, style)) // 12,
                 CASES.index((feed, fmt, style)) % 12 + 1, 1)
    name = f"{feed}.{'xlsx' if fmt == 'xlsx' else 'csv'}"
    write_file(tmp_path, feed, name, headers(feed, style), valid_rows(feed, 2, fmt), fmt, month)

    result = load_feed_month(url, tmp_path, month, feed, run_id="t")

    assert result.status == "loaded", result
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 2, 0)
    rows = raw_rows(url, feed, month)
    assert len(rows) == 2
    for column, value in EXPECTED[feed].items():
        assert rows[0][column] == value, column
    assert rows[0]["_source_file"] == name and rows[0]["_source_line"] == 2
    assert rows[0]["_load_id"] == result.files[0].load_id
    fmt_name = {"utf8": "csv-utf8", "bom": "csv-utf8-bom", "gb18030": "csv-gb18030"}
    assert query(
        url, "select file_format, status, run_id from ops.load_history where load_id = %s",
        result.files[0].load_id,
    ) == [(fmt_name.get(fmt, "xlsx"), "loaded", "t")]


# --------------------------------------------------------------------------- quarantine


def test_a_row_per_invalid_kind_lands_in_quarantine_with_its_reason(warehouse_db: str,
                                                                     tmp_path: Path):
    url = warehouse_db

    def variant(feed: str, **changes: object) -> list[object]:
        values = dict(VALID[feed], **changes)
        return [values[c.name] for c in FEEDS[feed].columns]

    cases = {
        "education": [
            (variant("education"), None),
            (variant("education", id_number="4.21E+17"), "id_number_invalid"),
            (variant("education", subsidy_yuan="-5"), "amount_negative"),
            (variant("education", subsidy_yuan="五百"), "amount_invalid"),
            (variant("education", status_date="2021-13-01"), "date_invalid"),
            (variant("education", status="在读"), "enum_invalid"),
            (variant("education", name=" "), "required_missing"),
        ],
        "registry_households": [
            (variant("registry_households"), None),
            (variant("registry_households", household_id="H2", county_code="110105"),
             "county_unknown"),
            (variant("registry_households", household_id="H" * 33), "text_too_long"),
            (variant("registry_households"), "duplicate_key"),
        ],
        "housing": [
            (variant("housing"), None),
            (variant("housing", village_code="14010500100"), "village_invalid"),
        ],
        "water": [(variant("water"), None), (variant("water", quality_ok="maybe"), "bool_invalid")],
        "employment": [
            (variant("employment"), None),
            (variant("employment", months_employed="13"), "integer_invalid"),
        ],
    }
    for feed, rows in cases.items():
        write_file(tmp_path, feed, "a.csv", headers(feed, "english"), [r for r, _ in rows])
        result = load_feed_month(url, tmp_path, MONTH, feed)
        expected = [(n + 2, reason) for n, (_, reason) in enumerate(rows) if reason]
        found = query(
            url, "select line_no, reason, row_received, detail, load_id, file_name"
            " from ops.quarantine where feed = %s order by line_no", feed,
        )
        assert [(line, reason) for line, reason, *_ in found] == expected, feed
        for (line, _reason, received, detail, load_id, file_name) in found:
            sent = rows[line - 2][0]
            names = [c.name for c in FEEDS[feed].columns]
            assert received == dict(zip(names, map(str, sent), strict=True))
            assert detail and load_id == result.files[0].load_id and file_name == "a.csv"
        assert result.rows_loaded == 1 == len(raw_rows(url, feed))
        assert result.rows_read == result.rows_loaded + result.rows_quarantined == len(rows)

    reasons = {r for (r,) in query(url, "select distinct reason from ops.quarantine")}
    assert reasons == {
        "id_number_invalid", "amount_negative", "amount_invalid", "date_invalid", "enum_invalid",
        "required_missing", "county_unknown", "text_too_long", "duplicate_key", "village_invalid",
        "bool_invalid", "integer_invalid",
    }


def test_duplicates_across_the_files_of_a_snapshot_keep_the_first(warehouse_db: str,
                                                                 tmp_path: Path):
    header = headers("registry_members", "english")
    first = valid_rows("registry_members", 2)
    write_file(tmp_path, "registry_members", "a_taiyuan.csv", header, first)
    write_file(tmp_path, "registry_members", "b_datong.csv", header, [first[1]])
    result = load_feed_month(warehouse_db, tmp_path, MONTH, "registry_members")
    assert [(f.file_name, f.rows_loaded, f.rows_quarantined) for f in result.files] == [
        ("a_taiyuan.csv", 2, 0), ("b_datong.csv", 0, 1)
    ]
    (detail,) = query(
        warehouse_db, "select detail from ops.quarantine where reason = 'duplicate_key'"
    )
    assert "a_taiyuan.csv line 3" in detail[0]


def test_an_id_stored_as_an_excel_number_is_quarantined(warehouse_db: str, tmp_path: Path):
    rows = valid_rows("education", 2, "xlsx")
    rows[1][0] = 1.42701198001011e17
    write_file(tmp_path, "education", "e.xlsx", headers("education", "chinese"), rows, "xlsx")
    result = load_feed_month(warehouse_db, tmp_path, MONTH, "education")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    (reason, received), = query(warehouse_db, "select reason, row_received from ops.quarantine")
    assert reason == "id_number_invalid" and received["身份证号"] == "1.42701198001011e+17"


def test_unknown_columns_are_recorded(warehouse_db: str, tmp_path: Path):
    header = [*headers("education", "english"), "备注", "remark"]
    rows = [[*r, "x", "y"] for r in valid_rows("education", 1)]
    write_file(tmp_path, "education", "e.csv", header, rows)
    load_feed_month(warehouse_db, tmp_path, MONTH, "education")
    assert query(warehouse_db, "select unknown_columns from ops.load_history") == [
        (["备注", "remark"],)
    ]


# --------------------------------------------------------------------------- rejection


@pytest.mark.parametrize("fmt", ["utf8", "xlsx"])
def test_a_file_missing_a_required_column_loads_nothing(
    warehouse_db: str, tmp_path: Path, fmt: str
):
    header = headers("education", "chinese")
    drop = header.index("就读状态")
    rows = [[v for i, v in enumerate(r) if i != drop] for r in valid_rows("education", 2, fmt)]
    name = "学籍.xlsx" if fmt == "xlsx" else "学籍.csv"
    write_file(tmp_path, "education", name, [h for h in header if h != "就读状态"], rows, fmt)

    with pytest.raises(FeedRejected) as caught:
        load_feed_month(warehouse_db, tmp_path, MONTH, "education")

    message = str(caught.value)
    for part in (name, "education", "'status'", "就读状态", "2021-12"):
        assert part in message
    assert counts(warehouse_db, "education") == (0, 0, 1)
    ((file_name, status, *_, error),) = history(warehouse_db, "education")
    assert (file_name, status, error) == (name, "rejected", message)


def test_an_unexpected_error_mid_load_leaves_nothing_but_a_failed_row(
    warehouse_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from fangpin.load import loader

    real = loader._stream_rows

    def breaks(reader, normaliser, write, *args):  # noqa: ANN001, ANN202
        real(reader, normaliser, write, *args)
        raise RuntimeError("disk on fire")

    write_file(tmp_path, "water", "w.csv", headers("water", "english"), valid_rows("water", 2))
    monkeypatch.setattr(loader, "_stream_rows", breaks)
    with pytest.raises(RuntimeError):
        load_feed_month(warehouse_db, tmp_path, MONTH, "water")
    assert counts(warehouse_db, "water") == (0, 0, 1)
    assert [(s, e) for _, s, *_, e in history(warehouse_db, "water")] == [
        ("failed", "RuntimeError: disk on fire")
    ]


def test_one_rejected_file_rejects_the_whole_delivery_and_keeps_the_previous_one(
    warehouse_db: str, tmp_path: Path
):
    url = warehouse_db
    header = headers("education", "english")
    write_file(tmp_path, "education", "a.csv", header, valid_rows("education", 3))
    load_feed_month(url, tmp_path, MONTH, "education")

    write_file(tmp_path, "education", "a.csv", header, valid_rows("education", 2))
    no_id = [r[1:] for r in valid_rows("education", 2)]
    write_file(tmp_path, "education", "b.csv", header[1:], no_id)
    with pytest.raises(FeedRejected, match="b.csv.*'id_number'"):
        load_feed_month(url, tmp_path, MONTH, "education")

    assert len(raw_rows(url, "education")) == 3  # the earlier delivery is still current
    assert [(n, s) for n, s, *_ in history(url, "education")] == [
        ("a.csv", "loaded"), ("b.csv", "rejected")
    ]


def test_an_undecodable_file_is_rejected_naming_the_file(warehouse_db: str, tmp_path: Path):
    header = headers("water", "chinese")
    path = write_file(tmp_path, "water", "w.csv", header, valid_rows("water", 1))
    path.write_bytes(path.read_bytes() + "核查\n".encode() + b"\xff\n")
    with pytest.raises(FeedRejected, match=r"2021-12/water/w.csv: is not valid UTF-8 at line 4"):
        load_feed_month(warehouse_db, tmp_path, MONTH, "water")
    assert counts(warehouse_db, "water") == (0, 0, 1)


def test_a_nul_byte_after_the_sniffed_prefix_rejects_the_file_as_before(
    warehouse_db: str, tmp_path: Path
):
    """A one-file delivery is hashed while it is read: a NUL byte the hashing pass finds
    late still rejects the file with the full inspection's message, and nothing is loaded."""
    from fangpin.feeds.read import SNIFF_BYTES, inspect_file

    header = headers("water", "chinese")  # Chinese in the prefix: it settles UTF-8
    rows = valid_rows("water", 1) * (2 * SNIFF_BYTES // 60)
    path = write_file(tmp_path, "water", "w.csv", header, rows)
    path.write_bytes(path.read_bytes() + b"x\x00y\n")
    problem = inspect_file(path).problem
    assert problem is not None and "NUL byte" in problem
    with pytest.raises(FeedRejected) as caught:
        load_feed_month(warehouse_db, tmp_path, MONTH, "water")
    assert str(caught.value) == (
        f"2021-12/water/w.csv: {problem}; re-export it as UTF-8 (feed water)"
    )
    assert counts(warehouse_db, "water") == (0, 0, 1)
    assert history(warehouse_db, "water")[0][1] == "rejected"


def test_the_history_keeps_each_files_sha256(warehouse_db: str, tmp_path: Path):
    import hashlib

    header = headers("water", "chinese")
    one = write_file(tmp_path, "water", "w.csv", header, valid_rows("water", 3))
    result = load_feed_month(warehouse_db, tmp_path, MONTH, "water")
    checksum = hashlib.sha256(one.read_bytes()).hexdigest()
    assert result.files[0].checksum == checksum
    assert query(
        warehouse_db, "select checksum from ops.load_history where feed = 'water'"
    ) == [(checksum,)]


# --------------------------------------------------------------------------- exactly once


def test_identical_bytes_are_skipped(warehouse_db: str, tmp_path: Path):
    url = warehouse_db
    header = headers("medical", "english")
    write_file(tmp_path, "medical", "m.csv", header, valid_rows("medical", 2))
    first = load_feed_month(url, tmp_path, MONTH, "medical")
    before = raw_rows(url, "medical")

    again = load_feed_month(url, tmp_path, MONTH, "medical")

    assert again.status == "skipped"
    assert raw_rows(url, "medical") == before
    assert [(s, n) for _, s, n, *_ in history(url, "medical")] == [("loaded", 2), ("skipped", None)]
    assert before[0]["_load_id"] == first.files[0].load_id


def test_a_redelivered_month_replaces_the_earlier_delivery(warehouse_db: str, tmp_path: Path):
    url = warehouse_db
    header = headers("employment", "english")
    bad = valid_rows("employment", 1)[0]
    bad[4] = "99"
    write_file(tmp_path, "employment", "e1.csv", header, [*valid_rows("employment", 3), bad])
    load_feed_month(url, tmp_path, MONTH, "employment")
    write_file(tmp_path, "employment", "e1.csv", header, valid_rows("employment", 2))
    write_file(tmp_path, "employment", "e2.csv", header, valid_rows("employment", 1))

    result = load_feed_month(url, tmp_path, MONTH, "employment")

    assert result.status == "loaded" and result.rows_loaded == 3
    rows = raw_rows(url, "employment")
    assert {r["_load_id"] for r in rows} == {f.load_id for f in result.files}
    assert [(n, s, r, lo, q) for n, s, r, lo, q, _ in history(url, "employment")] == [
        ("e1.csv", "superseded", 4, 3, 1),
        ("e1.csv", "loaded", 2, 2, 0),
        ("e2.csv", "loaded", 1, 1, 0),
    ]
    assert counts(url, "employment")[1] == 0  # the earlier delivery's quarantine went with it
    # Other months are untouched.
    write_file(tmp_path, "employment", "e.csv", header, valid_rows("employment", 1),
               month=date(2022, 1, 1))
    load_feed_month(url, tmp_path, date(2022, 1, 1), "employment")
    assert len(raw_rows(url, "employment")) == 3


def test_feed_delivery_summarises_each_feed_month(warehouse_db: str, tmp_path: Path):
    url = warehouse_db
    header = headers("water", "english")
    path = write_file(tmp_path, "water", "w.csv", header, valid_rows("water", 2))
    os.utime(path, (1638316800, 1638316800))  # 2021-12-01 00:00 UTC
    load_feed_month(url, tmp_path, MONTH, "water")
    write_file(tmp_path, "water", "w.csv", header, [*valid_rows("water", 1), ["bad"] * len(header)])
    load_feed_month(url, tmp_path, MONTH, "water")
    load_feed_month(url, tmp_path, MONTH, "water")  # skipped

    write_file(tmp_path, "housing", "h.csv", ["nothing"], [["x"]])
    with pytest.raises(FeedRejected):
        load_feed_month(url, tmp_path, MONTH, "housing")

    with psycopg.connect(url) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        rows = {r["feed"]: r for r in cur.execute("select * from ops.feed_delivery").fetchall()}
    firsts = dict(query(
        url, "select feed, min(started_at) from ops.load_history"
        " where status in ('loaded', 'superseded') group by feed"
    ))
    water = rows["water"]
    assert (water["rows_loaded"], water["rows_quarantined"], water["files"], water["status"]) == (
        1, 1, 1, "loaded"
    )
    assert water["first_loaded_at"] == firsts["water"]
    assert water["arrived_at"] > water["first_arrived_at"]
    assert water["first_arrived_at"].isoformat() == "2021-12-01T00:00:00+00:00"
    assert rows["housing"]["status"] == "rejected" and rows["housing"]["first_loaded_at"] is None
    assert "required" in rows["housing"]["last_error"]


# --------------------------------------------------------------------------- landing area


def test_discover_lists_months_and_feeds_and_ignores_the_rest(tmp_path: Path):
    write_file(tmp_path, "education", "e.csv", ["id_number"], [], month=date(2021, 12, 1))
    write_file(tmp_path, "registry_members", "M.XLSX", ["id_number"], [], month=date(2021, 11, 1))
    write_file(tmp_path, "water", "w.CSV", ["id_number"], [], month=date(2021, 11, 1))
    (tmp_path / "_truth" / "education").mkdir(parents=True)
    (tmp_path / "2021-11" / "Education").mkdir()
    (tmp_path / "2021-13").mkdir()
    (tmp_path / "2021-10" / "medical").mkdir(parents=True)  # no files: not delivered

    assert discover(tmp_path) == {
        date(2021, 11, 1): ["registry_members", "water"],
        date(2021, 12, 1): ["education"],
    }
    ignored = scan_landing(tmp_path).ignored
    assert any(i.startswith("_truth") for i in ignored)
    assert any(i.startswith("2021-11/Education") for i in ignored)
    assert any(i.startswith("2021-13") for i in ignored)


def test_a_feed_with_no_files_is_absent(warehouse_db: str, tmp_path: Path):
    assert load_feed_month(warehouse_db, tmp_path, MONTH, "education").status == "absent"
    assert counts(warehouse_db, "education") == (0, 0, 0)


# --------------------------------------------------------------------------- all or nothing

_CHILD = """
import sys
from datetime import date
from pathlib import Path
from fangpin.load import load_feed_month
load_feed_month(sys.argv[1], Path(sys.argv[2]), date(2021, 12, 1), "education", run_id="killed")
"""


def test_a_load_killed_half_way_leaves_nothing(warehouse_db: str, tmp_path: Path):
    url = warehouse_db
    header = headers("education", "english")
    write_file(tmp_path, "education", "a.csv", header, valid_rows("education", 2))
    earlier = load_feed_month(url, tmp_path, MONTH, "education")

    big = valid_rows("education", 1)[0]
    line = ",".join(str(v) for v in big) + "\r\n"
    (tmp_path / "2021-12" / "education" / "a.csv").write_text(
        ",".join(header) + "\r\n" + line * 1_500_000, encoding="utf-8"
    )
    child = subprocess.Popen([sys.executable, "-c", _CHILD, url, str(tmp_path)])
    try:
        backend = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None:
            found = query(
                url, "select pid, tuples_processed from pg_stat_progress_copy"
                " where datname = current_database() and relid = 'raw.education'::regclass",
            )
            if found and found[0][1] > 20_000:
                backend = found[0][0]
                break
            time.sleep(0.05)
        assert backend is not None, "the load never reached its COPY"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        deadline = time.monotonic() + 30
        while query(url, "select 1 from pg_stat_activity where pid = %s", backend):
            assert time.monotonic() < deadline, "the killed load's backend did not end"
            time.sleep(0.05)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    rows = raw_rows(url, "education")
    assert {r["_load_id"] for r in rows} == {earlier.files[0].load_id} and len(rows) == 2
    assert [(s, r) for _, s, r, *_ in history(url, "education")] == [("loaded", 2)]
    assert query(url, "select count(*) from ops.load_history where run_id = 'killed'") == [(0,)]
    assert counts(url, "education")[1] == 0


def test_a_month_may_be_a_date_a_datetime_or_text():
    from datetime import datetime

    from fangpin.load.loader import as_month

    assert as_month(date(2021, 12, 17)) == MONTH
    assert as_month(datetime(2021, 12, 31, 23, 0)) == MONTH
    assert as_month("2021-12") == as_month("2021-12-01") == MONTH
    with pytest.raises(ValueError):
        as_month("December")


# --------------------------------------------------------------------------- careful reading


def _csv_lines(landing: Path, feed: str, name: str, lines: list[str]) -> Path:
    folder = landing / f"{MONTH:%Y-%m}" / feed
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _lines_of(url: str, feed: str) -> list[tuple]:
    return query(
        url,
        "select rows_read, rows_loaded, rows_quarantined, physical_lines, header_lines,"
        " record_lines, blank_lines from ops.load_history"
        " where feed = %s and month = %s and status = 'loaded' order by load_id",
        feed, MONTH,
    )


def _employment_line(i: int, income: str = "350.25") -> str:
    values = dict(VALID["employment"], id_number=make_id(seq=f"{100 + i:03d}"),
                  monthly_income_yuan=income)
    return ",".join(str(values[c.name]) for c in FEEDS["employment"].columns)


def test_an_unclosed_quote_quarantines_only_its_record_and_every_line_is_accounted(
    warehouse_db: str, tmp_path: Path
):
    """The trial's case: an employment file where a quote opened in one row runs on to a
    quote 26 lines later. Before: 519 rows read for 545 data lines, 26 records lost, one
    misleading enum_invalid. Now: one unbalanced_quote, every other record loaded."""
    url = warehouse_db
    header = ",".join(c.name for c in FEEDS["employment"].columns)
    good = [_employment_line(i) for i in range(545)]
    good[100] = good[100][: good[100].rindex(",") + 1] + '"350.25'  # opens a quote
    good[126] = good[126].replace(",350.25", ',"350.25"', 1)  # the next quote, 26 lines on
    good[300] = ""  # a blank line
    _csv_lines(tmp_path, "employment", "e.csv", [header, *good])

    result = load_feed_month(url, tmp_path, MONTH, "employment")

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (544, 543, 1)
    reasons = query(url, "select reason, line_no, detail from ops.quarantine")
    assert [(r, n) for r, n, _ in reasons] == [("unbalanced_quote", 102)]
    assert "lines 102-128" in reasons[0][2]
    assert _lines_of(url, "employment") == [(544, 543, 1, 546, 1, 544, 1)]
    read, loaded, quarantined, physical, head, records, blank = _lines_of(url, "employment")[0]
    assert read == loaded + quarantined and physical == head + records + blank


def test_a_quote_open_to_the_end_of_the_file_is_quarantined_with_its_lines(
    warehouse_db: str, tmp_path: Path
):
    url = warehouse_db
    header = ",".join(c.name for c in FEEDS["employment"].columns)
    lines = [_employment_line(i) for i in range(40)]
    lines[10] = lines[10].replace(",", ',"', 1)  # a quote before the name, never closed
    _csv_lines(tmp_path, "employment", "e.csv", [header, *lines])

    load_feed_month(url, tmp_path, MONTH, "employment")

    assert query(url, "select reason, line_no from ops.quarantine") == [("unbalanced_quote", 12)]
    assert "never closed" in query(url, "select detail from ops.quarantine")[0][0]
    assert _lines_of(url, "employment") == [(40, 39, 1, 41, 1, 40, 0)]


def test_a_5_mb_field_quarantines_its_row_not_the_file(warehouse_db: str, tmp_path: Path):
    url = warehouse_db
    header = headers("education", "english")
    rows = valid_rows("education", 3)
    rows[1][3] = "校" * (5 * 1024 * 1024 // 3)
    write_file(tmp_path, "education", "big.csv", header, rows)

    result = load_feed_month(url, tmp_path, MONTH, "education")

    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 1)
    reason, received = query(url, "select reason, row_received::text from ops.quarantine")[0]
    assert reason == "field_too_long" and len(received) < 2000


def test_xlsx_formulas_load_their_cached_value_or_are_quarantined(
    warehouse_db: str, tmp_path: Path
):
    import re
    import zipfile

    url = warehouse_db
    header = headers("education", "english")
    rows = valid_rows("education", 2, "xlsx")
    rows[0][7] = "=100+400"
    rows[1][7] = "=100+401"
    path = write_file(tmp_path, "education", "f.xlsx", header, rows, fmt="xlsx")
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(rb"(<f>100\+400</f>)<v\s*/>|(<f>100\+400</f>)<v></v>",
                          rb"\1\2<v>500</v>", parts[sheet])
    with zipfile.ZipFile(path, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)

    load_feed_month(url, tmp_path, MONTH, "education")

    assert [r["subsidy_yuan"] for r in raw_rows(url, "education")] == [Decimal("500.00")]
    assert query(url, "select reason, line_no from ops.quarantine") == [
        ("formula_without_value", 3)]


def test_a_malformed_xlsx_is_rejected_named_and_keeps_nothing(
    warehouse_db: str, tmp_path: Path
):
    url = warehouse_db
    header = headers("education", "english")
    path = write_file(tmp_path, "education", "bad.xlsx", header, valid_rows("education", 30,
                                                                            "xlsx"), fmt="xlsx")
    import zipfile

    with zipfile.ZipFile(path) as src:  # a sheet whose XML breaks half way
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"</row>", b"</rowx>", 5)
    with zipfile.ZipFile(path, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)

    with pytest.raises(FeedRejected) as caught:
        load_feed_month(url, tmp_path, MONTH, "education")

    assert "2021-12/education/bad.xlsx" in str(caught.value)
    assert [(n, s) for n, s, *_ in history(url, "education")] == [("bad.xlsx", "rejected")]
    assert counts(url, "education")[0] == 0


def test_files_with_the_same_bytes_load_once_and_the_duplicate_is_recorded(
    warehouse_db: str, tmp_path: Path
):
    url = warehouse_db
    header = headers("medical", "english")
    first = write_file(tmp_path, "medical", "a_taiyuan.csv", header, valid_rows("medical", 3))
    (first.parent / "b_copy.csv").write_bytes(first.read_bytes())

    result = load_feed_month(url, tmp_path, MONTH, "medical")

    assert result.rows_loaded == 3 and result.duplicates == [("b_copy.csv", "a_taiyuan.csv")]
    assert counts(url, "medical")[0] == 3
    assert query(url, "select file_name, status, duplicate_of from ops.load_history"
                 " order by load_id") == [("a_taiyuan.csv", "loaded", None),
                                          ("b_copy.csv", "duplicate", "a_taiyuan.csv")]
    again = load_feed_month(url, tmp_path, MONTH, "medical")  # same bytes: still skipped
    assert again.status == "skipped" and counts(url, "medical")[0] == 3
