"""Reading feed files: encodings, XLSX cells, header matching, unknown and missing columns."""

from __future__ import annotations

import codecs
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from fangpin.feeds import contracts
from fangpin.feeds.read import (
    SNIFF_BYTES,
    FeedRejected,
    detect_encoding,
    inspect_file,
    match_header,
    open_feed_file,
)

EDU = contracts.EDUCATION
HEADER = ["身份证号", "姓名", "学校标识码", "学校名称", "学段", "就读状态", "状态日期", "资助金额"]
ROW = ["11010519491231002X", "张三", "S1", "太原一中", "初中", "在校", "2021-09-01", "500"]


def write_csv(path: Path, rows: list[list[str]], encoding: str) -> Path:
    text = "".join(",".join(r) + "\r\n" for r in rows)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    "encoding,expected",
    [("utf-8", "csv-utf8"), ("utf-8-sig", "csv-utf8-bom"), ("gb18030", "csv-gb18030"),
     ("gbk", "csv-gb18030"), ("gb2312", "csv-gb18030")],
)
def test_encodings_are_detected_and_read(tmp_path: Path, encoding: str, expected: str):
    path = write_csv(tmp_path / "e.csv", [HEADER, ROW], encoding)
    info = inspect_file(path)
    assert info.file_format == expected
    assert info.problem is None
    with open_feed_file(info, EDU) as reader:
        assert [c.name for _, c in reader.match.positions] == [c.name for c in EDU.columns]
        assert list(reader.rows()) == [(2, ROW)]


def test_detect_encoding_from_a_prefix():
    assert detect_encoding(codecs.BOM_UTF8 + b"a,b") == "utf-8-sig"
    assert detect_encoding("姓名".encode()) == "utf-8"
    assert detect_encoding("姓名".encode()[:-1]) == "utf-8"  # cut mid-character: still UTF-8
    assert detect_encoding("姓名".encode("gb18030")) == "gb18030"
    assert detect_encoding(b"plain ascii") == "utf-8"


def test_a_gb18030_file_whose_first_chinese_comes_late_is_still_gb18030(tmp_path: Path):
    ascii_rows = [["11010519491231002X", "ZhangSan", "S1", "", "junior", "enrolled",
                   "2021-09-01", "1"]] * (SNIFF_BYTES // 60 + 10)
    english = [c.name for c in EDU.columns]
    path = write_csv(tmp_path / "late.csv", [english, *ascii_rows, ROW], "gb18030")
    info = inspect_file(path)
    assert info.file_format == "csv-gb18030" and info.problem is None
    with open_feed_file(info, EDU) as reader:
        assert list(reader.rows())[-1][1][1] == "张三"


def test_a_utf8_file_with_a_bad_byte_later_is_rejected_naming_file_and_line(tmp_path: Path):
    good = (",".join(HEADER) + "\n" + ",".join(ROW) + "\n").encode()
    filler = ("x,y\n" * (SNIFF_BYTES // 4)).encode()
    path = tmp_path / "broken.csv"
    path.write_bytes(good + filler + b"\xff\xfe,bad\n")
    info = inspect_file(path)
    assert info.file_format == "csv-utf8"
    assert "line" in info.problem
    with pytest.raises(FeedRejected) as caught:
        open_feed_file(info, EDU, "2021-12/education/broken.csv")
    message = str(caught.value)
    assert "2021-12/education/broken.csv" in message and "UTF-8" in message
    assert f"line {3 + SNIFF_BYTES // 4}" in message

    # The loader leaves the decoding to the reader; the file is rejected all the same, with the
    # same message, when the reader reaches the bad byte.
    lazy = inspect_file(path, decode=False)
    assert lazy.checksum == info.checksum and lazy.file_format == "csv-utf8"
    assert lazy.problem is None and not lazy.decoded
    with open_feed_file(lazy, EDU, "2021-12/education/broken.csv") as reader:
        with pytest.raises(FeedRejected) as late:
            list(reader.rows())
    assert str(late.value) == message


@pytest.mark.parametrize(
    "prefix,decoded",
    [(",".join(HEADER).encode(), False), (codecs.BOM_UTF8 + b"id_number,name", False),
     (b"id_number,name", True), (",".join(HEADER).encode("gb18030"), True)],
)
def test_decoding_is_left_to_the_reader_only_when_the_prefix_settles_the_encoding(
    tmp_path: Path, prefix: bytes, decoded: bool
):
    """A UTF-8 prefix with Chinese in it (or a BOM) settles it; pure ASCII or GB18030 do not."""
    path = tmp_path / "p.csv"
    path.write_bytes(prefix + b"\n")
    assert inspect_file(path, decode=False).decoded is decoded
    assert inspect_file(path).decoded


def test_a_nul_byte_is_found_without_the_decoding_pass(tmp_path: Path):
    path = tmp_path / "n.csv"
    path.write_bytes((",".join(HEADER) + "\n").encode() + b"a\x00b\n")
    lazy = inspect_file(path, decode=False)
    assert lazy.decoded and lazy.problem and "NUL" in lazy.problem


def test_a_utf16_file_is_rejected_not_misread(tmp_path: Path):
    path = tmp_path / "u16.csv"
    path.write_bytes(",".join(HEADER).encode("utf-16"))
    with pytest.raises(FeedRejected, match="UTF-16"):
        open_feed_file(path, EDU)
    path.write_bytes(",".join(HEADER).encode("utf-16-le"))  # no byte-order mark
    with pytest.raises(FeedRejected, match="NUL"):
        open_feed_file(path, EDU)


def test_headers_match_english_or_chinese_trimmed_and_in_any_case():
    header = ["  ID_Number ", "姓名 ", " School_Code", "　学段　", "STATUS", "Status_Date"]
    match = match_header(header, EDU, "x.csv")
    assert [c.name for _, c in match.positions] == [
        "id_number", "name", "school_code", "stage", "status", "status_date"
    ]
    assert [c.name for c in match.absent] == ["school_name", "subsidy_yuan"]


def test_unknown_columns_are_ignored_and_noted():
    match = match_header([*HEADER, "备注", " Remark ", ""], EDU, "x.csv")
    assert match.unknown_columns == ["备注", "Remark"]
    assert len(match.positions) == len(EDU.columns)


def test_a_missing_required_column_names_file_feed_and_column():
    header = [h for h in HEADER if h != "就读状态"]
    with pytest.raises(FeedRejected) as caught:
        match_header(header, EDU, "2021-12/education/学籍.xlsx")
    message = str(caught.value)
    for part in ("学籍.xlsx", "education", "'status'", "就读状态"):
        assert part in message
    assert caught.value.column == "status" and caught.value.feed == "education"


def test_a_column_named_twice_is_rejected():
    with pytest.raises(FeedRejected, match="twice"):
        match_header([*HEADER, "id_number"], EDU, "x.csv")


def test_a_file_without_a_header_is_rejected(tmp_path: Path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(FeedRejected, match="no header"):
        open_feed_file(path, EDU)


def test_csv_quoting_blank_lines_and_line_numbers(tmp_path: Path):
    path = tmp_path / "q.csv"
    path.write_text(
        ",".join(HEADER) + "\n"
        + '11010519491231002X,"张,三",S1,"多行\n学校",初中,在校,2021-09-01,"1,000"\n'
        + "\n"
        + ",".join(ROW) + "\n",
        encoding="utf-8",
    )
    with open_feed_file(path, EDU) as reader:
        rows = list(reader.rows())
    assert [n for n, _ in rows] == [2, 5]
    assert rows[0][1][1] == "张,三" and rows[0][1][3] == "多行\n学校" and rows[0][1][7] == "1,000"


def test_xlsx_text_number_and_date_cells(tmp_path: Path):
    path = tmp_path / "x.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["11010519491231002X", "张三", 1140100001, None, "初中", "在校",
                  date(2021, 9, 1), 1234.5])
    sheet.append([None] * 8)
    sheet.append([1.42701198001011e17, "李四", "S2", "二中", "高中", "辍学", 20211210, 0])
    book.save(path)
    info = inspect_file(path)
    assert info.file_format == "xlsx" and info.encoding is None
    with open_feed_file(info, EDU) as reader:
        rows = list(reader.rows())
    assert [n for n, _ in rows] == [2, 4]
    first, second = rows[0][1], rows[1][1]
    assert first[0] == "11010519491231002X" and first[2] == 1140100001
    assert first[6] == datetime(2021, 9, 1) and first[7] == 1234.5
    assert isinstance(second[0], float) and second[6] == 20211210


def test_a_file_that_is_not_a_workbook_is_rejected(tmp_path: Path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(FeedRejected, match="XLSX"):
        open_feed_file(path, EDU)


def test_the_checksum_is_the_sha256_of_the_bytes(tmp_path: Path):
    import hashlib

    path = write_csv(tmp_path / "c.csv", [HEADER, ROW], "utf-8")
    assert inspect_file(path).checksum == hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_alias_in_the_contract_is_a_header_too():
    import dataclasses

    id_col = dataclasses.replace(EDU.column("id_number"), aliases=("公民身份号码",))
    feed = dataclasses.replace(EDU, columns=(id_col, *EDU.columns[1:]))
    match = match_header([" 公民身份号码 ", *HEADER[1:]], feed, "x.csv")
    assert match.positions[0][1].name == "id_number" and not match.unknown_columns


def _csv_module_rows(path: Path) -> list[tuple[int, list[str]]]:
    """What ``csv.reader`` alone makes of a file: the reference for the block reader."""
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        found, previous = [], reader.line_num
        for row in reader:
            start, previous = previous + 1, reader.line_num
            if any(row):
                found.append((start, row))
        return found


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("block_chars", [1, 60, 1 << 20])
def test_blocks_of_raw_lines_read_as_the_csv_module_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ending: str, block_chars: int
):
    """Quote-free runs become raw ``Lines``, the rest goes through ``csv.reader`` - with the
    same cells and line numbers, whatever the block size and line ending."""
    from fangpin.feeds import read

    monkeypatch.setattr(read, "BLOCK_CHARS", block_chars)
    lines = [
        ",".join(HEADER), ",".join(ROW), "", ",,,,,,,", ",".join(ROW[:5]),
        '11010519491231002X,"张,三",S1,"多行' + ending + '学校",初中,在校,2021-09-01,"1,000"',
        ",".join(ROW), ",".join([*ROW, "extra"]), ",".join(ROW),
    ]
    path = tmp_path / "b.csv"
    path.write_text(ending.join(lines), encoding="utf-8", newline="")
    with open_feed_file(path, EDU) as reader:
        kinds = {type(b).__name__ for b in reader.blocks()}
    with open_feed_file(path, EDU) as reader:
        assert list(reader.rows()) == _csv_module_rows(path)
    if ending != "\r" and block_chars < 1 << 20:  # one big block holds the quoted record
        assert kinds == {"Lines", "Rows"}


# --------------------------------------------------------------------------- careful reading


def _blocks(path: Path, feed: contracts.Feed = EDU) -> tuple[list, object]:
    from fangpin.feeds.read import Faulty, Lines

    rows, faults, reader = [], [], open_feed_file(path, feed)
    with reader:
        lines = 0
        for block in reader.blocks():
            if isinstance(block, Faulty):
                faults.append(block)
                lines += block.lines
            elif isinstance(block, Lines):
                for number, line in enumerate(block.lines(), start=block.first):
                    lines += 1
                    if any(line.split(",")):
                        rows.append(number)
            else:
                rows.extend(n for n, _ in block)
                lines += block.lines
        assert reader.header_lines + lines == reader.physical_lines
    return rows, faults


def _lines_file(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = ",".join(ROW)


@pytest.mark.parametrize("block_chars", [1, 200, 1 << 20])
def test_a_quote_run_on_through_an_amount_is_set_aside_and_reading_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_chars: int
):
    """The trial's employment file: a field opened with a quote runs on to a quote 26 lines
    later. Only the line it broke is set aside; the 26 lines after it are read as records."""
    from fangpin.feeds import read

    monkeypatch.setattr(read, "BLOCK_CHARS", block_chars)
    broken = '11010519491231002X,张三,S1,太原一中,初中,在校,2021-09-01,"350.25'
    closing = '11010519491231002X,李四,S1,"太原一中",初中,在校,2021-09-01,500'
    lines = [",".join(HEADER), GOOD, broken, *[GOOD] * 25, closing, GOOD]
    path = _lines_file(tmp_path / "q.csv", lines)
    rows, faults = _blocks(path)
    assert [(f.reason, f.first, f.lines) for f in faults] == [("unbalanced_quote", 3, 1)]
    assert "lines 3-29" in faults[0].detail and "subsidy_yuan" in faults[0].detail
    assert rows == [2, *range(4, 31)]  # every other record read, the closing line too


def test_a_quote_left_open_to_the_end_of_the_file_sets_aside_only_its_line(tmp_path: Path):
    opened = '11010519491231002X,"张三,S1,太原一中,初中,在校,2021-09-01,500'
    path = _lines_file(tmp_path / "open.csv", [",".join(HEADER), GOOD, opened, GOOD, GOOD])
    rows, faults = _blocks(path)
    # The name is a text column: the open quote is found at the end of the file.
    assert [(f.reason, f.first, f.last) for f in faults] == [("unbalanced_quote", 3, 5)]
    assert "never closed" in faults[0].detail
    assert rows == [2, 4, 5]


def test_a_quote_in_a_text_column_that_swallows_whole_records_is_broken(tmp_path: Path):
    lines = [",".join(HEADER), '11010519491231002X,"张三,S1,太原一中,初中,在校,2021-09-01,500',
             GOOD, '11010519491231002X,李四",S1,太原一中,初中,在校,2021-09-01,500', GOOD]
    rows, faults = _blocks(_lines_file(tmp_path / "s.csv", lines))
    assert [(f.reason, f.first, f.last) for f in faults] == [("unbalanced_quote", 2, 4)]
    assert "whole records" in faults[0].detail
    assert rows == [3, 4, 5]


def test_a_real_line_break_in_a_text_column_is_kept(tmp_path: Path):
    lines = [",".join(HEADER), '11010519491231002X,张三,S1,"太原\n一中",初中,在校,2021-09-01,500',
             GOOD]
    with open_feed_file(_lines_file(tmp_path / "t.csv", lines), EDU) as reader:
        rows = list(reader.rows())
        assert reader.physical_lines == 4 and not reader.faults
    assert [n for n, _ in rows] == [2, 4] and rows[0][1][3] == "太原\n一中"


def test_a_quote_open_for_more_lines_than_a_record_may_span_is_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from fangpin.feeds import read

    monkeypatch.setattr(read, "RECORD_LINE_LIMIT", 5)
    lines = [",".join(HEADER), '11010519491231002X,张三,S1,"太原一中', *["续"] * 10,
             '",初中,在校,2021-09-01,500', GOOD]
    rows, faults = _blocks(_lines_file(tmp_path / "long.csv", lines))
    assert faults[0].reason == "unbalanced_quote" and faults[0].first == 2
    assert "still open" in faults[0].detail
    assert 14 in rows  # the good line after it is read


@pytest.mark.parametrize("quoted", [False, True])
def test_a_5_mb_field_sets_aside_its_row_not_the_file(tmp_path: Path, quoted: bool):
    from fangpin.feeds.read import FIELD_LIMIT

    big = "长" * (5 * 1024 * 1024 // 3)
    cell = f'"{big}"' if quoted else big
    lines = [",".join(HEADER), GOOD, f"11010519491231002X,张三,S1,{cell},初中,在校,2021-09-01,500",
             GOOD]
    rows, faults = _blocks(_lines_file(tmp_path / "big.csv", lines))
    assert [(f.reason, f.first) for f in faults] == [("field_too_long", 3)]
    assert "school_name" in faults[0].detail and f"{FIELD_LIMIT:,}" in faults[0].detail
    assert len(faults[0].cells[3]) < 300  # the quarantine keeps a cut cell, not 5 MB
    assert rows == [2, 4]


# --------------------------------------------------------------------------- XLSX


def _rewrite_sheet(path: Path, edit) -> Path:  # noqa: ANN001 - a str -> str function
    """Rewrite the first worksheet's XML of a saved workbook (what openpyxl cannot write:
    cached formula values, error cells)."""
    import zipfile

    data = {}
    with zipfile.ZipFile(path) as src:
        for item in src.infolist():
            data[item.filename] = src.read(item.filename)
    name = "xl/worksheets/sheet1.xml"
    data[name] = edit(data[name].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for filename, content in data.items():
            out.writestr(filename, content)
    return path


def _workbook(path: Path, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_an_xlsx_formula_uses_its_cached_value_or_sets_its_row_aside(tmp_path: Path):
    import re

    path = _workbook(tmp_path / "f.xlsx", [
        [*ROW[:7], "=100+400"],  # will get a cached value
        [*ROW[:7], "=100+401"],  # saved without one (as openpyxl writes it)
        [*ROW[:7], "=1/0"],  # an error value cached
        ROW,
    ])

    def edit(xml: str) -> str:
        xml = re.sub(r"(<f>100\+400</f>)<v\s*/>|(<f>100\+400</f>)<v></v>", r"\1\2<v>500</v>", xml)
        return re.sub(r'<c r="H4"><f>1/0</f><v\s*/?>(</v>)?',
                      '<c r="H4" t="e"><f>1/0</f><v>#DIV/0!</v>', xml)

    _rewrite_sheet(path, edit)
    with open_feed_file(path, EDU) as reader:
        rows = list(reader.rows())
        faults = reader.faults
        assert reader.physical_lines == 5
    assert [(n, r[7]) for n, r in rows] == [(2, 500), (5, "500")]
    assert [(f.reason, f.first) for f in faults] == [
        ("formula_without_value", 3), ("formula_error", 4)]
    assert "H3" in faults[0].detail and "#DIV/0!" in faults[1].detail


@pytest.mark.parametrize("damage", ["truncated", "bad_xml", "no_sheet"])
def test_a_malformed_workbook_is_rejected_naming_file_feed_and_cause(
    tmp_path: Path, damage: str
):
    import zipfile

    path = _workbook(tmp_path / "m.xlsx", [ROW] * 50)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:-200])
    elif damage == "bad_xml":
        _rewrite_sheet(path, lambda xml: xml.replace("</row>", "</rowx>", 10))
    else:
        keep = {}
        with zipfile.ZipFile(path) as src:
            keep = {i.filename: src.read(i.filename) for i in src.infolist()
                    if "worksheets/" not in i.filename}
        with zipfile.ZipFile(path, "w") as out:
            for filename, content in keep.items():
                out.writestr(filename, content)
    with pytest.raises(FeedRejected) as caught:
        with open_feed_file(path, EDU, "2021-12/education/m.xlsx") as reader:
            list(reader.rows())
    message = str(caught.value)
    assert "2021-12/education/m.xlsx" in message and "XLSX" in message
    assert "education" in message and caught.value.file_name == "m.xlsx"


def test_an_oversized_workbook_is_rejected_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from fangpin.feeds import read

    path = _workbook(tmp_path / "o.xlsx", [ROW] * 200)
    monkeypatch.setattr(read, "XLSX_MAX_XML_BYTES", 20_000)
    with pytest.raises(FeedRejected, match="oversized XLSX.*sheet1.xml"):
        open_feed_file(path, EDU)


def _empty_rows_workbook(path: Path, empty: int, after: list | None = None,
                         dimension: str | None = None) -> Path:
    """Header, 3 rows, ``empty`` formatted empty rows, then maybe one more row."""
    import re

    _workbook(path, [ROW] * 3)
    last = 4 + empty

    def edit(xml: str) -> str:
        blank = "".join(
            f'<row r="{r}">' + "".join(f'<c r="{c}{r}" s="0"/>' for c in "ABCDEFGH") + "</row>"
            for r in range(5, last + 1)
        )
        tail = ""
        if after is not None:
            tail = f'<row r="{last + 1}">' + "".join(
                f'<c r="{c}{last + 1}" t="inlineStr"><is><t>{v}</t></is></c>'
                for c, v in zip("ABCDEFGH", after, strict=True)) + "</row>"
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>',
                     f'<dimension ref="{dimension or f"A1:H{last}"}"/>', xml)
        return xml.replace("</sheetData>", blank + tail + "</sheetData>")

    return _rewrite_sheet(path, edit)


def test_empty_trailing_rows_cost_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Parsing stops after ``XLSX_EMPTY_RUN`` empty rows; the rest is only scanned."""
    from openpyxl.worksheet._reader import WorkSheetParser

    parsed = []
    original = WorkSheetParser.parse_row
    monkeypatch.setattr(WorkSheetParser, "parse_row",
                        lambda self, el: parsed.append(1) or original(self, el))
    from fangpin.feeds.read import XLSX_EMPTY_RUN

    path = _empty_rows_workbook(tmp_path / "e.xlsx", 50_000)
    with open_feed_file(path, EDU) as reader:
        assert [n for n, _ in reader.rows()] == [2, 3, 4]
        assert reader.physical_lines == 4
    assert len(parsed) < XLSX_EMPTY_RUN + 100


@pytest.mark.parametrize("dimension", [None, "A1:H5"])
def test_a_row_after_a_long_empty_run_or_beyond_the_dimension_is_still_read(
    tmp_path: Path, dimension: str | None
):
    late = [*ROW[:1], "王五", *ROW[2:]]
    path = _empty_rows_workbook(tmp_path / "late.xlsx", 3000, after=late, dimension=dimension)
    with open_feed_file(path, EDU) as reader:
        rows = list(reader.rows())
        assert reader.physical_lines == 3005
    assert [n for n, _ in rows] == [2, 3, 4, 3005] and rows[-1][1][1] == "王五"


@pytest.mark.slow
def test_a_workbook_with_1_5_million_empty_rows_reads_in_seconds(tmp_path: Path):
    import time

    path = _empty_rows_workbook(tmp_path / "huge.xlsx", 1_500_000)
    started = time.perf_counter()
    with open_feed_file(path, EDU) as reader:
        assert [n for n, _ in reader.rows()] == [2, 3, 4]
    assert time.perf_counter() - started < 15  # was 49-86 s (issue 12); 1.4 s measured
