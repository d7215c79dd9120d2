"""What a policy import must look like: each kind of invalid file is rejected whole, by name."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from fangpin.config import dbt_project_dir
from fangpin.policy import catalog
from fangpin.policy.catalog import (
    RATES,
    PolicyInvalid,
    Province,
    parse_rows,
    table,
    validate,
)

PROVINCE = Province({"140122": ("阳曲县", "1401"), "140123": ("娄烦县", "1401"),
                     "140221": ("阳高县", "1402")})
PARAMETERS = [
    ("medical_burden_ratio", "0.5"), ("compulsory_age_min", "6"), ("compulsory_age_max", "15"),
    ("working_age_min", "16"), ("working_age_max", "60"), ("feed_max_age_months", "2"),
    ("min_months_before_elimination", "6"), ("sample_size", "20"), ("due_day", "5"),
]


def rows_of(name: str, text: str) -> list[dict]:
    lines = [line.split(",") for line in text.strip().splitlines()]
    return validate(table(name), parse_rows(table(name), lines[0], lines[1:]), PROVINCE)


def test_a_key_county_list_by_year_is_completed_from_the_province() -> None:
    rows = rows_of("key_counties", "year,county_code\n2021,140122\n2022,140221\n")
    assert rows == [
        {"year": 2021, "county_code": "140122", "county_name": "阳曲县", "city_code": "1401",
         "listed_by": "bureau", "note": None},
        {"year": 2022, "county_code": "140221", "county_name": "阳高县", "city_code": "1402",
         "listed_by": "bureau", "note": None},
    ]


def test_valid_weights_thresholds_and_parameters_are_taken() -> None:
    weights = rows_of("scorecard_weights", "rate,weight\neducation,0.2\nmedical,0.1\n"
                      "housing,0.1\nwater,0.1\nemployment,0.2\nidentification,0.2\n"
                      "rectification,0.1\n")
    assert sum(r["weight"] for r in weights) == 1
    assert rows_of("monitoring_thresholds", "year,yuan\n2021,6000\n2022,6400\n")[1] == {
        "year": 2022, "yuan": Decimal(6400)}
    text = "parameter,value\n" + "\n".join(f"{p},{v}" for p, v in PARAMETERS)
    assert len(rows_of("policy_parameters", text)) == 9


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("key_counties", "year,county\n2021,140122", "unknown columns: county"),
        ("key_counties", "county_code\n140122", "missing required columns: year"),
        ("key_counties", "year,county_code\n2021,999999",
         "row 2: county_code 999999 is not a county of the province"),
        ("key_counties", "year,county_code,city_code\n2021,140122,1402",
         "county 140122 belongs to city 1401, not 1402"),
        ("key_counties", "year,county_code\n21,140122", "year 21 is not a year"),
        ("key_counties", "year,county_code\n2021,140122\n2021,140122",
         "row 3: year, county_code 2021, 140122 already in row 2"),
        ("key_counties", "year,county_code\n", "the file has no rows"),
        ("monitoring_thresholds", "year,yuan\n2021,six thousand", "'six thousand' is not a number"),
        ("monitoring_thresholds", "year,yuan\n2021,-1", "yuan -1 must be greater than 0"),
        ("dibao_standards", "year,yuan\n2021.5,5000", "'2021.5' is not a whole number"),
        ("scorecard_weights", "rate,weight\neducation,0.5\nmedical,0.5",
         "missing: employment, housing, identification, rectification, water"),
        ("scorecard_weights", "rate,weight\neducation,0.2\nmedical,0.2\nhousing,0.2\nwater,0.2\n"
         "employment,0.2\nidentification,0.2\nrectification,0.1", "the weights sum to 1.3, not 1"),
        ("scorecard_weights", "rate,weight\nincome,1", "'income' is not one of"),
        ("policy_parameters", "parameter,value\ndue_day,5", "missing: compulsory_age_max"),
        ("policy_parameters", "parameter,value\nmonitoring_age,5", "'monitoring_age' is not"),
    ],
)
def test_an_invalid_import_is_rejected_whole_with_a_clear_error(
    name: str, text: str, message: str
) -> None:
    with pytest.raises(PolicyInvalid, match=rf"^{name}: ") as rejected:
        rows_of(name, text)
    assert message in str(rejected.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"due_day": "31"}, "due_day 31 must be a day of the month 1-28"),
        ({"working_age_min": "61"}, "working_age_min 61 is above working_age_max 60"),
        ({"sample_size": "2.5"}, "sample_size 2.5 must be a whole number"),
        ({"medical_burden_ratio": "0"}, "medical_burden_ratio 0 must be a share above 0"),
    ],
)
def test_parameters_out_of_range_are_rejected(changes: dict[str, str], message: str) -> None:
    text = "parameter,value\n" + "\n".join(f"{p},{changes.get(p, v)}" for p, v in PARAMETERS)
    with pytest.raises(PolicyInvalid, match="policy_parameters") as rejected:
        rows_of("policy_parameters", text)
    assert message in str(rejected.value)


def test_an_unknown_policy_table_names_the_ones_there_are() -> None:
    with pytest.raises(PolicyInvalid, match="the tables are: key_counties, monitoring"):
        table("thresholds")


def test_every_parameter_that_can_be_in_force_has_a_meaning_for_dim_policy() -> None:
    """marts.dim_policy takes unit and meanings from policy_meanings.csv: a parameter the
    bureau may import, a rate that has a weight, or an evaluation seed without a row there would
    publish with no meaning (and fail dim_policy's not_null tests at the build)."""
    seeds = dbt_project_dir() / "seeds"
    with open(seeds / "policy_meanings.csv", encoding="utf-8", newline="") as f:
        meanings = {r["parameter"]: r for r in csv.DictReader(f)}
    with open(seeds / "evaluation_parameters.csv", encoding="utf-8", newline="") as f:
        evaluation = {r["parameter"] for r in csv.DictReader(f)}
    expected = (
        set(catalog.PARAMETERS) | {f"score_weight_{rate}" for rate in RATES} | evaluation
        | {"monitoring_threshold", "dibao_standard", "key_county_count"}
    )
    assert set(meanings) == expected
    assert all(r["unit"] and r["meaning_en"] and r["meaning_zh"] for r in meanings.values())
