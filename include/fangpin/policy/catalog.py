"""The bureau's policy tables: what each one holds and what a valid import of it looks like.

One declaration per table, named as its shipped dbt seed (``dbt_project/seeds/<name>.csv``).
The shipped seed is the default; an import replaces it whole, as ``policy.<name>``, which the
dbt models read in preference to the seed (``macros/policy/policy.sql``). The checks here run on the
parsed rows before anything is written, so an import is taken whole or not at all.

Nothing here touches the warehouse: the one check that needs it (county codes that exist in the
province) gets the province's counties passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import cast

from fangpin.domain.codes import RATE_NAMES

#: Years a year-keyed table may name: wide, but a typo like 20221 or 221 is caught.
YEARS = range(2000, 2101)
RATES = RATE_NAMES


class PolicyInvalid(ValueError):
    """An import that cannot be taken; the message says which table, row and column, and why."""


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str  # integer, numeric or text
    required: bool = True


Row = dict[str, object]
#: A check of all the parsed rows: returns the problems found (empty when the rows are sound).
Check = Callable[[list[Row], "Province"], list[str]]


@dataclass(frozen=True)
class Province:
    """The counties of the province, ``{county_code: (county_name, city_code)}``."""

    counties: Mapping[str, tuple[str, str]]


@dataclass(frozen=True)
class PolicyTable:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    checks: tuple[Check, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


# --- parsing one cell ------------------------------------------------------------------------


def parse_cell(column: Column, text: str) -> object:
    """A cell as its column's type; raises ValueError with a reason a bureau clerk can act on."""
    text = text.strip()
    if not text:
        if column.required:
            raise ValueError("is empty")
        return None
    if column.sql_type == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    if column.sql_type == "numeric":
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{text!r} is not a number") from None
        if not value.is_finite():
            raise ValueError(f"{text!r} is not a number")
        return value
    return text


# --- checks ----------------------------------------------------------------------------------


def _years(rows: list[Row], _province: Province) -> list[str]:
    return [
        f"row {i}: year {r['year']} is not a year between {YEARS.start} and {YEARS.stop - 1}"
        for i, r in enumerate(rows, start=2)
        if r["year"] not in YEARS
    ]


def _positive(column: str) -> Check:
    def check(rows: list[Row], _province: Province) -> list[str]:
        return [
            f"row {i}: {column} {r[column]} must be greater than 0"
            for i, r in enumerate(rows, start=2)
            if r[column] is not None and r[column] <= 0  # type: ignore[operator]
        ]

    return check


def _counties_exist(rows: list[Row], province: Province) -> list[str]:
    problems = []
    for i, r in enumerate(rows, start=2):
        code = str(r["county_code"])
        if code not in province.counties:
            problems.append(f"row {i}: county_code {code} is not a county of the province")
        elif r.get("city_code") and r["city_code"] != province.counties[code][1]:
            problems.append(
                f"row {i}: county {code} belongs to city {province.counties[code][1]}, "
                f"not {r['city_code']}"
            )
    return problems


def _weights(rows: list[Row], _province: Province) -> list[str]:
    problems = [
        f"row {i}: rate {r['rate']!r} is not one of {', '.join(RATES)}"
        for i, r in enumerate(rows, start=2)
        if r["rate"] not in RATES
    ]
    missing = sorted(set(RATES).difference(r["rate"] for r in rows))
    if missing:
        problems.append(f"every rate needs a weight; missing: {', '.join(missing)}")
    problems += [
        f"row {i}: weight {r['weight']} of {r['rate']} is negative"
        for i, r in enumerate(rows, start=2)
        if r["weight"] < 0  # type: ignore[operator]
    ]
    total = sum((cast(Decimal, r["weight"]) for r in rows), Decimal(0))  # parsed as Decimal
    if total != 1:
        problems.append(f"the weights sum to {total}, not 1")
    return problems


#: policy_parameters: the parameters the models look up, and the values each may take.
PARAMETERS: dict[str, Callable[[Decimal], bool]] = {
    "medical_burden_ratio": lambda v: 0 < v <= 1,
    "compulsory_age_min": lambda v: v == int(v) and 0 <= v <= 30,
    "compulsory_age_max": lambda v: v == int(v) and 0 <= v <= 30,
    "working_age_min": lambda v: v == int(v) and 10 <= v <= 100,
    "working_age_max": lambda v: v == int(v) and 10 <= v <= 100,
    "feed_max_age_months": lambda v: v == int(v) and 0 <= v <= 24,
    "min_months_before_elimination": lambda v: v == int(v) and 0 <= v <= 120,
    "sample_size": lambda v: v == int(v) and 1 <= v <= 10_000,
    "due_day": lambda v: v == int(v) and 1 <= v <= 28,
}
_PARAMETER_RANGES = {
    "medical_burden_ratio": "a share above 0 and at most 1",
    "compulsory_age_min": "whole years 0-30",
    "compulsory_age_max": "whole years 0-30",
    "working_age_min": "whole years 10-100",
    "working_age_max": "whole years 10-100",
    "feed_max_age_months": "whole months 0-24",
    "min_months_before_elimination": "whole months 0-120",
    "sample_size": "a whole number of households 1-10000",
    "due_day": "a day of the month 1-28",
}


def _parameters(rows: list[Row], _province: Province) -> list[str]:
    problems = []
    values: dict[str, Decimal] = {}
    for i, r in enumerate(rows, start=2):
        name = str(r["parameter"])
        if name not in PARAMETERS:
            problems.append(f"row {i}: {name!r} is not a policy parameter")
            continue
        value = r["value"]
        assert isinstance(value, Decimal)
        values[name] = value
        if not PARAMETERS[name](value):
            problems.append(f"row {i}: {name} {value} must be {_PARAMETER_RANGES[name]}")
    missing = sorted(set(PARAMETERS) - {str(r["parameter"]) for r in rows})
    if missing:
        problems.append(f"every parameter needs a value; missing: {', '.join(missing)}")
    for low, high in (("compulsory_age_min", "compulsory_age_max"),
                      ("working_age_min", "working_age_max")):
        if low in values and high in values and values[low] > values[high]:
            problems.append(f"{low} {values[low]} is above {high} {values[high]}")
    return problems


TABLES: dict[str, PolicyTable] = {
    t.name: t
    for t in (
        PolicyTable(
            "key_counties",
            "key assistance counties (重点帮扶县) by year; a year not set uses the latest that is",
            (Column("year", "integer"), Column("county_code", "text"),
             Column("county_name", "text", required=False),
             Column("city_code", "text", required=False),
             Column("listed_by", "text", required=False), Column("note", "text", required=False)),
            ("year", "county_code"),
            (_years, _counties_exist),
        ),
        PolicyTable(
            "monitoring_thresholds",
            "monitoring income threshold (防返贫监测标准), yuan per person a year, by year",
            (Column("year", "integer"), Column("yuan", "numeric")),
            ("year",),
            (_years, _positive("yuan")),
        ),
        PolicyTable(
            "dibao_standards",
            "rural dibao standard (农村低保标准), yuan per person a year, by year",
            (Column("year", "integer"), Column("yuan", "numeric")),
            ("year",),
            (_years, _positive("yuan")),
        ),
        PolicyTable(
            "scorecard_weights",
            "weights of the seven rates in the county score; they sum to 1",
            (Column("rate", "text"), Column("weight", "numeric")),
            ("rate",),
            (_weights,),
        ),
        PolicyTable(
            "policy_parameters",
            "ages, sample size, due day, feed age and the other single-valued parameters",
            (Column("parameter", "text"), Column("value", "numeric"),
             Column("unit", "text", required=False), Column("description", "text", required=False)),
            ("parameter",),
            (_parameters,),
        ),
    )
}


def table(name: str) -> PolicyTable:
    try:
        return TABLES[name]
    except KeyError:
        raise PolicyInvalid(
            f"{name!r} is not a policy table; the tables are: {', '.join(TABLES)}"
        ) from None


def parse_rows(
    policy: PolicyTable, header: Sequence[str], lines: Sequence[Sequence[str]]
) -> list[Row]:
    """Rows of a CSV as typed dicts; every problem of the file is collected, then raised at once.

    The header must hold every required column and no column the table does not know (a
    misspelt ``yaer`` would otherwise be dropped silently); optional columns may be left out.
    """
    names = [h.strip().lower() for h in header]
    problems = []
    unknown = [n for n in names if n not in policy.column_names]
    if unknown:
        problems.append(f"unknown columns: {', '.join(unknown)} "
                        f"(the columns are: {', '.join(policy.column_names)})")
    missing = [c.name for c in policy.columns if c.required and c.name not in names]
    if missing:
        problems.append(f"missing required columns: {', '.join(missing)}")
    if len(set(names)) != len(names):
        problems.append("a column appears twice in the header")
    if problems:
        raise PolicyInvalid(f"{policy.name}: " + "; ".join(problems))
    rows: list[Row] = []
    for number, cells in enumerate(lines, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            problems.append(f"row {number}: {len(cells)} cells for {len(names)} columns")
            continue
        row: Row = {}
        given = dict(zip(names, cells, strict=True))
        for column in policy.columns:
            try:
                row[column.name] = parse_cell(column, given.get(column.name, ""))
            except ValueError as exc:
                problems.append(f"row {number}: {column.name} {exc}")
        rows.append(row)
    if not rows and not problems:
        problems.append("the file has no rows: a policy table cannot be empty")
    if problems:
        raise PolicyInvalid(f"{policy.name}: " + "; ".join(problems))
    return rows


def validate(policy: PolicyTable, rows: list[Row], province: Province) -> list[Row]:
    """The rows, completed (county names from the province), or PolicyInvalid with every problem."""
    problems = []
    seen: dict[tuple, int] = {}
    for number, row in enumerate(rows, start=2):
        key = tuple(row[k] for k in policy.key)
        if key in seen:
            problems.append(
                f"row {number}: {', '.join(policy.key)} {', '.join(map(str, key))} "
                f"already in row {seen[key]}"
            )
        seen.setdefault(key, number)
    for check in policy.checks:
        problems += check(rows, province)
    if problems:
        raise PolicyInvalid(f"{policy.name}: " + "; ".join(problems))
    if policy.name == "key_counties":
        for row in rows:
            name, city = province.counties[str(row["county_code"])]
            row["county_name"] = row["county_name"] or name
            row["city_code"] = row["city_code"] or city
            row["listed_by"] = row["listed_by"] or "bureau"
    return rows
