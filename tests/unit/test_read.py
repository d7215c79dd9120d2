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
