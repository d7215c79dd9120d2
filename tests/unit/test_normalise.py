"""Value rules of docs/contract/FEEDS.md: each kind's accepted forms and each way of breaking it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from fangpin.feeds import contracts
from fangpin.feeds.contracts import Code, Column, Feed, Kind, When
from fangpin.feeds.normalise import (
    REASONS,
    Invalid,
    birth_date_from_id,
    enum_lookup,
    id_check_char,
    normalise_county,
    normalise_enum,
    normalise_id,
    normalise_list,
    normalise_text,
    normalise_village,
    parse_amount,
    parse_bool,
    parse_date,
    parse_integer,
    parse_year,
    province_counties,
    sex_from_id,
)
from fangpin.feeds.read import match_header
from fangpin.feeds.rows import NULL, RowInvalid, RowNormaliser, copy_escape

# 11010519491231002X is the textbook example of GB 11643 (check character X).
VALID_X = "11010519491231002X"


def make_id(region: str = "140105", born: str = "19800101", seq: str = "123") -> str:
    first17 = region + born + seq
    return first17 + id_check_char(first17)


def reason_of(fn, *args) -> str:  # noqa: ANN001
    with pytest.raises(Invalid) as info:
        fn(*args)
    assert info.value.reason in REASONS
    return info.value.reason


# --------------------------------------------------------------------------- ids


def test_a_valid_id_is_accepted_as_is():
    assert normalise_id(VALID_X) == VALID_X
    assert normalise_id(make_id()) == make_id()


def test_the_check_character_is_iso_7064_mod_11_2():
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("14010519800101123") == make_id()[-1]


def test_lower_case_x_and_spaces_are_normalised():
    assert normalise_id("  11010519491231002x ") == VALID_X


def test_full_width_characters_are_normalised_by_nfkc():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in VALID_X[:-1]) + "ｘ"
    assert normalise_id(full_width) == VALID_X


def test_a_15_digit_id_becomes_18_digits_with_19_and_a_check_character():
    # 15 digits: region 140105, birth 800101 (yyMMdd), sequence 123
    assert normalise_id("140105800101123") == make_id("140105", "19800101", "123")


def test_a_15_digit_id_with_an_impossible_birth_date_is_invalid():
    assert reason_of(normalise_id, "140105801301123") == "id_number_invalid"


@pytest.mark.parametrize(
    "bad",
    [
        "4.21E+17",  # scientific notation from a spreadsheet
        "1.40105198001011E+17",
        "142701198001011000",  # digits lost, fails the check
        VALID_X[:-1] + "1",  # wrong check character
        VALID_X[:-1],  # 17 characters
        "1401051980010112",  # 16 digits
        "14010519801301123" + id_check_char("14010519801301123"),  # month 13
        "14010530000101123" + id_check_char("14010530000101123"),  # born in 3000
        "A4010519800101123X",
    ],
)
def test_broken_ids_are_id_number_invalid(bad: str):
    assert reason_of(normalise_id, bad) == "id_number_invalid"


@pytest.mark.parametrize("number", [1.42701198001011e17, 142701198001011000, 140105800101123])
def test_an_id_stored_as_an_excel_number_is_invalid(number: float):
    assert reason_of(normalise_id, number) == "id_number_invalid"


def test_birth_date_and_sex_come_from_the_id():
    assert birth_date_from_id(VALID_X) == date(1949, 12, 31)
    assert sex_from_id(VALID_X) == "female"  # digit 17 is 2
    assert sex_from_id(make_id(seq="123")) == "male"  # digit 17 is 3


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "value",
    [
        "2021-12-10", "2021/12/10", "20211210", "2021年12月10日", " 2021-12-10 ",
        datetime(2021, 12, 10, 0, 0), datetime(2021, 12, 10, 13, 30), date(2021, 12, 10),
        20211210, 20211210.0, "２０２１年１２月１０日",
    ],
)
def test_every_accepted_date_form(value: object):
    assert parse_date(value) == date(2021, 12, 10)


@pytest.mark.parametrize("value", ["2021/1/5", "2021年1月5日", "2021/01/5", "2021年01月05日"])
def test_single_digit_month_and_day_in_slash_and_chinese_forms(value: str):
    assert parse_date(value) == date(2021, 1, 5)


@pytest.mark.parametrize(
    "value",
    ["2021-13-01", "2021-02-30", "2021-1-5", "10/12/2021", "2021.12.10", "yesterday",
     "1899-12-31", 44540, 44540.5, "20211310"],
)
def test_bad_dates_are_date_invalid(value: object):
    assert reason_of(parse_date, value) == "date_invalid"


# --------------------------------------------------------------------------- booleans


@pytest.mark.parametrize(
    "value,expected",
    [("是", True), ("否", False), ("Y", True), ("n", False), ("YES", True), ("No", False),
     ("true", True), ("FALSE", False), ("1", True), ("0", False), (True, True), (0, False),
     (1.0, True)],
)
def test_bools(value: object, expected: bool):
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", ["maybe", "2", "对", "t", 2])
def test_bad_bools_are_bool_invalid(value: object):
    assert reason_of(parse_bool, value) == "bool_invalid"


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    "value,expected",
    [("1234.5", "1234.5"), ("1,234.50", "1234.50"), ("¥1,234", "1234"), ("￥1234.56", "1234.56"),
     (" ¥ 12 ", "12"), ("0", "0"), ("-0", "0"), (1234.5, "1234.5"), (12, "12"),
     ("1,234,567.891", "1234567.891")],
)
def test_amounts(value: object, expected: str):
    assert parse_amount(value) == Decimal(expected)


@pytest.mark.parametrize("value", ["-5", "¥-5", "-¥5", "-0.01", -3.5])
def test_negative_amounts_are_amount_negative(value: object):
    assert reason_of(parse_amount, value) == "amount_negative"


@pytest.mark.parametrize(
    "value",
    ["abc", "1e5", "12,34", "1.2.3", "(5)", "$5", "1000000000000", "5元", float("nan"), "."],
)
def test_bad_amounts_are_amount_invalid(value: object):
    assert reason_of(parse_amount, value) == "amount_invalid"


# --------------------------------------------------------------------------- geography


def test_the_province_counties_come_from_the_seed():
    counties = province_counties()
    assert "140105" in counties and "110105" not in counties
    assert len(counties) >= 117


def test_county_codes():
    assert normalise_county(" 140105 ") == "140105"
    assert normalise_county(140105) == "140105"
    assert reason_of(normalise_county, "110105") == "county_unknown"  # Beijing
    assert reason_of(normalise_county, "14010") == "county_unknown"


def test_village_codes():
    assert normalise_village("140105001001") == "140105001001"
    assert normalise_village(140105001001) == "140105001001"
    assert reason_of(normalise_village, "14010500100") == "village_invalid"
    assert reason_of(normalise_village, "110105001001") == "village_invalid"
    assert reason_of(normalise_village, "14010500100a") == "village_invalid"


# --------------------------------------------------------------------------- enums and lists

STATUS = enum_lookup(contracts.EDUCATION.column("status").codes)
CAUSES_COL = contracts.REGISTRY_HOUSEHOLDS.column("risk_causes")
CAUSES = enum_lookup(CAUSES_COL.codes)
CAUSE_ORDER = [c.code for c in CAUSES_COL.codes]


@pytest.mark.parametrize("value", ["dropped_out", "辍学", " Dropped_Out ", "DROPPED_OUT"])
def test_enums_in_english_or_chinese(value: str):
    assert normalise_enum(value, STATUS) == "dropped_out"


def test_an_unknown_enum_value_is_enum_invalid():
    assert reason_of(normalise_enum, "在读", STATUS) == "enum_invalid"


@pytest.mark.parametrize("value", ["C", "c", "C级", "Ｃ级"])
def test_housing_grade_accepts_the_ji_suffix(value: str):
    grades = enum_lookup(contracts.HOUSING.column("safety_grade").codes)
    assert normalise_enum(value, grades) == "C"


@pytest.mark.parametrize(
    "value",
    ["因学;因病", "因病、因学", "schooling；illness", "因病; schooling;", "因学、因病、因学"],
)
def test_lists_are_english_codes_in_declaration_order(value: str):
    assert normalise_list(value, CAUSES, CAUSE_ORDER) == "illness;schooling"


def test_an_empty_list_is_null_and_a_bad_item_is_enum_invalid():
    assert normalise_list(" ; ", CAUSES, CAUSE_ORDER) is None
    assert reason_of(normalise_list, "因病;因穷", CAUSES, CAUSE_ORDER) == "enum_invalid"


# --------------------------------------------------------------------------- numbers and text


def test_integers_and_years():
    assert parse_integer("12", 0, 12) == 12
    assert parse_integer(7.0, 0, 12) == 7
    assert parse_year("2021") == 2021
    assert parse_year(2021) == 2021
    for bad in ("13", "-1", "7.5", "seven", 7.5):
        assert reason_of(parse_integer, bad, 0, 12) == "integer_invalid"
    assert reason_of(parse_year, "21") == "integer_invalid"


def test_text_is_trimmed_and_limited():
    assert normalise_text("  张三 ") == "张三"
    assert normalise_text("x" * 32, 32) == "x" * 32
    assert normalise_text(1140100001) == "1140100001"
    assert reason_of(normalise_text, "x" * 33, 32) == "text_too_long"


# --------------------------------------------------------------------------- rows


def education_normaliser(header: list[str] | None = None) -> RowNormaliser:
    header = header or [c.name for c in contracts.EDUCATION.columns]
    match = match_header(header, contracts.EDUCATION, "t.csv")
    return RowNormaliser(contracts.EDUCATION, match.positions, match.absent, prefix="P\t")


def test_a_row_becomes_one_copy_line_with_nulls_and_escapes():
    norm = education_normaliser()
    row = [VALID_X, "张\t三", "S1", "", "初中", "在校", "2021/9/1", "¥1,000"]
    assert norm.line(row, 7) == (
        f"P\t7\t{VALID_X}\t张\\t三\tS1\t{NULL}\tjunior\tenrolled\t2021-09-01\t1000\n"
    )


def test_a_row_with_several_problems_reports_the_first_reason_and_all_details():
    norm = education_normaliser()
    with pytest.raises(RowInvalid) as info:
        norm.line(["4.21E+17", "", "S1", "", "初中", "在读", "2021-09-01", "-1"], 2)
    assert info.value.reason == "id_number_invalid"
    for part in ("id_number", "name", "status", "subsidy_yuan"):
        assert part in info.value.detail


@pytest.mark.parametrize(
    "row",
    [
        [VALID_X, "张三", "S1", "一中", "初中", "在校", "2021-09-01", "1000.5"],
        [VALID_X.lower(), " 张三 ", "S1", "", "junior", "enrolled", "20210901", ""],
        [make_id(), "a\\b", "S\n1", "x\ry", "高中", "辍学", "2021年9月1日", "1,000"],
        [make_id("140105", "19991231", "999"), "张三", "S1", "", "高中", "辍学", "2021/9/1", "0.5"],
        [VALID_X, "张三", "S1", "", "初中", "在读", "2021-09-01", "1"],
        [VALID_X, "张三", "", "", "初中", "在校", "2021-09-01", "1"],
        [VALID_X, "张三", "S1", "", "初中", "在校", "2021-09-01", "1e3"],
        [VALID_X, "张三", "S1", "", "初中", "在校", "2021-09-01", "1234567890123"],
        [VALID_X[:-1] + "1", "张三", "S1", "", "初中", "在校", "2021-09-01", "1"],
        [VALID_X, "张三"],  # short row
        [VALID_X, "张三", "S1", None, "初中", "在校", datetime(2021, 9, 1), 12.5],  # XLSX cells
    ],
)
def test_the_fast_path_agrees_with_the_exact_rules(row: list):
    """Run every row twice: the second time the caches are warm and the fast path answers."""
    norm = education_normaliser()
    results = []
    for _ in range(2):
        try:
            results.append(("ok", norm.slow(row, 1)))
        except RowInvalid as exc:
            results.append(("invalid", exc.reason))
    fast = []
    for _ in range(2):
        try:
            fast.append(("ok", norm.line(row, 1)))
        except RowInvalid as exc:
            fast.append(("invalid", exc.reason))
    assert fast == results


def test_columns_missing_from_the_file_are_null_or_their_default():
    housing = contracts.HOUSING
    header = ["村代码", "户主身份证号", "鉴定日期", "鉴定等级", "整改状态"]
    match = match_header(header, housing, "h.csv")
    norm = RowNormaliser(housing, match.positions, match.absent)
    assert norm.copy_columns[-2:] == ["disaster_damaged", "rectified_on"]
    line = norm.line(["140105001001", VALID_X, "2021-03-05", "B级", "done"], 2)
    assert line.endswith("\tB\tdone\tf\t\n")  # an empty value is null (COPY_NULL)


def test_an_empty_disaster_flag_means_false():
    housing = contracts.HOUSING
    match = match_header([c.name for c in housing.columns], housing, "h.csv")
    norm = RowNormaliser(housing, match.positions, match.absent)
    values = norm.values(["140105001001", VALID_X, "2021-03-05", "B", "", "not_needed", ""])
    assert values[4] == "f"


def test_conditional_requirements_are_kept_by_default():
    """identified_on is required "if monitored", but the row is loaded: docs/contract/RULES.md
    reports it as the doubt point MONITORED_WITHOUT_DATE (see docs/FEEDS_LOADING.md)."""
    feed = contracts.REGISTRY_HOUSEHOLDS
    match = match_header([c.name for c in feed.columns], feed, "r.csv")
    norm = RowNormaliser(feed, match.positions, match.absent)
    row = ["H1", "140105", "140105001001", VALID_X, "脱贫户", "unstable", "at_risk", "", "", "因病",
           "5000", "否"]
    assert norm.values(row)[7] == NULL


def test_a_conditional_requirement_can_be_enforced_by_the_contract():
    feed = Feed(
        "demo",
        "demo",
        (
            Column("status", "状态", Kind.ENUM, required=True,
                   codes=(Code("done", ("已整改",)), Code("open", ("未整改",)))),
            Column("done_on", "完成日期", Kind.DATE,
                   required_if=When("status", ("done",), quarantine=True)),
        ),
    )
    match = match_header(["status", "done_on"], feed, "d.csv")
    norm = RowNormaliser(feed, match.positions, match.absent)
    assert norm.line(["open", ""], 2) == "2\topen\t\n"
    assert norm.line(["已整改", "2021-01-01"], 3) == "3\tdone\t2021-01-01\n"
    for _ in range(2):  # cold and warm caches
        with pytest.raises(RowInvalid) as info:
            norm.line(["done", ""], 4)
        assert info.value.reason == "required_missing"
    absent = match_header(["status"], feed, "d.csv")
    norm = RowNormaliser(feed, absent.positions, absent.absent)
    with pytest.raises(RowInvalid):
        norm.line(["done"], 2)


def test_copy_escape():
    assert copy_escape("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re"


# --------------------------------------------------------------------------- block and bulk

CANONICAL_ROWS = [
    [VALID_X, "张三", "S1", "一中", "junior", "enrolled", "2021-09-01", "1000.5"],
    [make_id(), "李 四", "S2", "", "senior", "dropped_out", "1999-12-31", ""],
    [make_id("140105", "20000229", "001"), "王五", "S3", "二中", "primary", "graduated",
     "2020-02-28", "0"],
    [VALID_X, "赵六", "S4", "", "tertiary", "suspended", "2020-02-29", "12"],
    [VALID_X, "赵六", "S4", "", "tertiary", "suspended", "2000-02-29", "12"],
    [VALID_X, "赵六", "S4", "", "tertiary", "suspended", "1904-02-29", "12"],
]

NOT_CANONICAL = [
    [VALID_X, "张三", "S1", "", "初中", "在校", "2021-09-01", "1"],  # Chinese labels
    [VALID_X.lower(), "张三", "S1", "", "junior", "enrolled", "2021-09-01", "1"],  # lower x
    [VALID_X, " 张三", "S1", "", "junior", "enrolled", "2021-09-01", "1"],  # space to trim
    [VALID_X, "张三", "S1", "", "junior", "enrolled", "2021-02-29", "1"],  # not a leap year
    [VALID_X, "张三", "S1", "", "junior", "enrolled", "1900-02-29", "1"],  # nor is 1900
    [VALID_X, "张三", "S1", "", "junior", "enrolled", "2100-01-01", "1"],  # left to the rules
    [VALID_X, "张三", "S1", "", "junior", "enrolled", "2021/9/1", "1"],  # other date form
    [VALID_X, "张三", "S1", "", "junior", "enrolled", "2021-02-30", "1"],  # no such day
    [VALID_X, "张三", "S1", "", "junior", "enrolled", "2021-09-01", "1,000"],
    [VALID_X, "a\\b", "S1", "", "junior", "enrolled", "2021-09-01", "1"],  # to escape
    [VALID_X, "", "S1", "", "junior", "enrolled", "2021-09-01", "1"],  # required empty
    [VALID_X[:-1] + "1", "张三", "S1", "", "junior", "enrolled", "2021-09-01", "1"],  # check
    [make_id("140105", "19800230", "123"), "张三", "S1", "", "junior", "enrolled",
     "2021-09-01", "1"],  # no such birth date
    [make_id("140105", "20991231", "123"), "张三", "S1", "", "junior", "enrolled",
     "2021-09-01", "1"],  # born in the future
    [make_id("140105", "18991231", "123"), "张三", "S1", "", "junior", "enrolled",
     "2021-09-01", "1"],  # born before 1900
    [VALID_X, "张三", "S1", "", "junior", "enrolled", "2021-09-01"],  # short row
    [VALID_X, "张三", "S1", "", "junior", "enrolled", "2021-09-01", "1", "extra"],
]


def _exact(norm: RowNormaliser, rows: list[list[str]], first: int) -> str:
    return "".join(norm.slow(row, first + n) for n, row in enumerate(rows))


def test_the_bulk_path_writes_what_the_exact_rules_write():
    norm = education_normaliser()
    text = "".join(",".join(row) + "\n" for row in CANONICAL_ROWS)
    bulk = norm.bulk(text, 2, len(CANONICAL_ROWS))
    assert bulk is not None
    assert bulk.decode() == _exact(norm, CANONICAL_ROWS, 2)


@pytest.mark.parametrize("row", NOT_CANONICAL)
def test_the_bulk_path_leaves_any_other_line_to_the_row_paths(row: list[str]):
    """One such line anywhere in a run sends the whole run down the per-line paths."""
    norm = education_normaliser()
    rows = [*CANONICAL_ROWS, row, *CANONICAL_ROWS]
    text = "".join(",".join(r) + "\n" for r in rows)
    assert norm.bulk(text, 2, len(rows)) is None


@pytest.mark.parametrize("row", CANONICAL_ROWS + NOT_CANONICAL)
def test_the_block_path_agrees_with_the_exact_rules(row: list[str]):
    """``block`` takes a line only if it writes what ``slow`` writes; others stop it."""
    norm = education_normaliser()
    for _ in range(2):  # the second time the caches are warm
        out: list[str] = []
        stop = norm.block([",".join(row)], 0, 7, out, {}, 0)
        try:
            exact = norm.slow(row, 7)
        except RowInvalid:
            exact = None
        if stop == 1:
            assert out == [exact]
        else:
            assert stop == 0 and out == []


def test_no_bulk_path_for_layouts_it_cannot_prove():
    header = [*[c.name for c in contracts.EDUCATION.columns], "备注"]  # an unknown column
    match = match_header(header, contracts.EDUCATION, "t.csv")
    unknown = RowNormaliser(contracts.EDUCATION, match.positions, match.absent, width=9)
    assert unknown.bulk(",".join([*CANONICAL_ROWS[0], "x"]) + "\n", 2, 1) is None


def _members() -> RowNormaliser:
    members = contracts.REGISTRY_MEMBERS
    match = match_header([c.name for c in members.columns], members, "m.csv")
    return RowNormaliser(members, match.positions, match.absent, prefix="P\t")


def test_the_bulk_path_with_a_unique_key_takes_only_runs_of_new_keys():
    norm = _members()
    rows = [["H1", VALID_X, "张三", "head", "ordinary", "healthy"],
            ["H1", make_id(), "李四", "child", "none", "healthy"]]
    text = "".join(",".join(r) + "\n" for r in rows)
    seen: dict[str, int] = {}
    tag = 3 << 40
    bulk = norm.bulk(text, 2, 2, seen, tag)
    assert bulk is not None and bulk.decode() == _exact(norm, rows, 2)
    assert seen == {VALID_X: tag | 2, make_id(): tag | 3}
    again = dict(seen)
    assert norm.bulk(text, 10, 2, seen, tag) is None and seen == again  # keys already seen
    twice = "".join(",".join(r) + "\n" for r in [rows[0], rows[0]])
    assert norm.bulk(twice, 2, 2, {}, 0) is None  # a key twice in the run


def test_the_block_path_stops_at_a_duplicate_key_without_recording_it():
    norm = _members()
    first = ["H1", VALID_X, "张三", "head", "ordinary", "healthy"]
    second = ["H1", make_id(), "李四", "child", "none", "healthy"]
    norm.slow(first, 2)  # fills the caches (and the id's region) as the loader's first miss
    norm.slow(second, 3)
    seen: dict[str, int] = {}
    out: list[str] = []
    lines = [",".join(first), ",".join(second), ",".join(first)]
    assert norm.block(lines, 0, 2, out, seen, 0) == 2  # stops at the repeated id
    assert out == [norm.slow(first, 2), norm.slow(second, 3)]
    assert seen == {VALID_X: 2, make_id(): 3}


def test_the_bulk_path_writes_null_for_empty_cells_anywhere():
    feed = Feed("t", "t", (
        Column("note", "备注", Kind.TEXT),
        Column("id_number", "身份证号", Kind.ID, required=True),
        Column("a", "甲", Kind.AMOUNT),
        Column("b", "乙", Kind.DATE),
        Column("c", "丙", Kind.TEXT),
    ))
    match = match_header(["note", "id_number", "a", "b", "c"], feed, "t.csv")
    norm = RowNormaliser(feed, match.positions, match.absent, prefix="P%s\t", width=5)
    rows = [["", VALID_X, "", "", ""], ["x", VALID_X, "1", "2021-01-01", "y"],
            ["", VALID_X, "", "2021-01-01", ""], ["x", VALID_X, "2", "", "y"]]
    text = "".join(",".join(r) + "\n" for r in rows)
    bulk = norm.bulk(text, 2, len(rows))
    assert bulk is not None and bulk.decode() == _exact(norm, rows, 2)


def _layout(feed: Feed) -> RowNormaliser:
    match = match_header([c.name for c in feed.columns], feed, "f.csv")
    return RowNormaliser(feed, match.positions, match.absent, prefix="P\t")


def _as_copy_reads_it(norm: RowNormaliser, text: str) -> list[list[str]]:
    """COPY lines as values: booleans in any spelling PostgreSQL reads become t/f."""
    spellings = {"true": "t", "yes": "t", "y": "t", "1": "t",
                 "false": "f", "no": "f", "n": "f", "0": "f"}
    kinds = ["", "", *[c.kind for c in norm.columns]]  # prefix P, line number
    found = []
    for line in text.splitlines():
        cells = line.split("\t")
        found.append([spellings.get(v.lower(), v) if k is Kind.BOOL else v
                      for k, v in zip(kinds, cells, strict=True)])
    return found


@pytest.mark.parametrize(
    "feed,rows",
    [
        (contracts.MEDICAL, [
            [VALID_X, "张三", "2021", "resident", "active", "false", "2019.68", "1195.65", "8"],
            [make_id(), "李四", "2100", "employee", "none", "TRUE", "", "", ""],
            [VALID_X, "王五", "1900", "resident", "suspended", "", "0", "0", "0"],
            [VALID_X, "赵六", "2020", "resident", "active", "Y", "1", "1", "1"],
        ]),
        (contracts.EMPLOYMENT, [
            [VALID_X, "张三", *[c.code for c in contracts.EMPLOYMENT.column(
                "employment_status").codes][:1], "", "12", "6424.70"],
            [make_id(), "李四", *[c.code for c in contracts.EMPLOYMENT.column(
                "employment_status").codes][-1:], "", "0", ""],
        ]),
        (contracts.WATER, [
            ["140105004201", "GS1", "centralized", "true", "true", "1", "0", "false",
             "not_needed", "2021-09-10"],
        ]),
    ],
)
def test_the_bulk_path_of_other_feeds_writes_what_copy_reads_as_the_exact_values(
    feed: Feed, rows: list[list[str]]
):
    norm = _layout(feed)
    text = "".join(",".join(r) + "\n" for r in rows)
    bulk = norm.bulk(text, 2, len(rows), {}, 0)
    assert bulk is not None
    assert _as_copy_reads_it(norm, bulk.decode()) == _as_copy_reads_it(norm, _exact(norm, rows, 2))


@pytest.mark.parametrize(
    "feed,row",
    [
        (contracts.MEDICAL, [VALID_X, "张三", "2101", "resident", "active", "", "", "", ""]),
        (contracts.MEDICAL, [VALID_X, "张三", "2021", "resident", "active", "是", "", "", ""]),
        (contracts.MEDICAL, [VALID_X, "张三", "2021", "resident", "active", "on", "", "", ""]),
        (contracts.EMPLOYMENT, [VALID_X, "张三", "migrant", "", "13", ""]),
        (contracts.EMPLOYMENT, [VALID_X, "张三", "migrant", "", "09", ""]),
        (contracts.WATER, ["999999004201", "GS1", "centralized", "true", "true", "1", "0",
                           "false", "not_needed", "2021-09-10"]),
    ],
)
def test_the_bulk_path_of_other_feeds_leaves_the_rest_to_the_rules(feed: Feed, row: list[str]):
    norm = _layout(feed)
    assert norm.bulk(",".join(row) + "\n", 2, 1, {}, 0) is None
