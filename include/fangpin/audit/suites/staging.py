"""The staging layer's gate: each month's snapshot as staging presents it.

``staging.<feed>`` runs on the staging view that reads ``raw.<feed>``. Its checks are derived
from the feed contract (``fangpin.feeds.contracts``): keys, id numbers, county and village
codes, enumerations, amounts, dates; ``_STAGING_EXTRAS`` adds the few a contract cannot say.
"""

from __future__ import annotations

from fangpin.audit.checks import (
    BLOCKING,
    STAGING_RENAMES,
    STAGING_SNAPSHOT_COLUMN,
    STAGING_SOURCE_COLUMNS,
    WARNING,
    Check,
    SuiteSpec,
    between,
    in_set,
    matches,
    not_null,
    sql_list,
    unexpected_rows,
    unique,
)
from fangpin.feeds.contracts import FEEDS, Feed, Kind

EARLIEST_DATE = "1990-01-01"
#: Dates that may lie after the snapshot: a planned end (a dibao record's end_on).
FUTURE_DATES_OK = frozenset({"end_on"})
ID_NUMBER_REGEX = r"^[0-9]{17}[0-9X]$"
VILLAGE_REGEX = r"^[0-9]{12}$"


def _period_end() -> str:
    return f"({STAGING_SNAPSHOT_COLUMN} + interval '1 month' - interval '1 day')::date"


def staging_suite(feed: Feed) -> SuiteSpec:
    """The month's snapshot as staging presents it, checked against the feed contract."""
    checks: list[Check] = []
    county_column = next((c.name for c in feed.columns if c.kind is Kind.COUNTY), None)
    for col in feed.columns:
        name = STAGING_RENAMES.get(col.name, col.name)
        if col.required:
            checks.append(not_null(name))
        if col.unique:
            checks.append(
                unique((name,), f"{name}_unique", BLOCKING, f"{name} is unique in a snapshot")
            )
        if col.kind is Kind.ID:
            checks.append(matches(
                f"{name}_format", name, ID_NUMBER_REGEX, BLOCKING,
                "an id number is 17 digits and a check character (digit or X)",
            ))
        elif col.kind is Kind.COUNTY:
            checks.append(unexpected_rows(
                f"{name}_known", BLOCKING, "a county code is a county of the province (seed)",
                f"select * from batch_rows where {name} is not null and {name} not in "
                "(select county_code from seeds.shanxi_counties)",
                [name],
            ))
        elif col.kind is Kind.VILLAGE:
            checks.append(matches(
                f"{name}_format", name, VILLAGE_REGEX, BLOCKING, "a village code is 12 digits"
            ))
            if county_column:
                where = f"left({name}, 6) <> {county_column}"
                text = f"a village lies in the household's county ({county_column})"
            else:
                where = (f"left({name}, 6) not in "
                         "(select county_code from seeds.shanxi_counties)")
                text = "a village's first 6 digits are a county of the province"
            checks.append(unexpected_rows(
                f"{name}_in_county", BLOCKING, text,
                f"select * from batch_rows where {name} is not null and {where}",
                [name] + ([county_column] if county_column else []),
            ))
        elif col.kind is Kind.ENUM:
            checks.append(in_set(name, (c.code for c in col.codes)))
        elif col.kind is Kind.LIST:
            checks.append(unexpected_rows(
                f"{name}_in_set", BLOCKING, f"every element of {name} is one of its codes",
                f"select * from batch_rows where exists (select 1 from "
                f"unnest(string_to_array({name}, ';')) as element(code) where element.code "
                f"not in ({sql_list(c.code for c in col.codes)}))",
                [name],
            ))
        elif col.kind is Kind.AMOUNT:
            checks.append(between(
                f"{name}_not_negative", name, BLOCKING, "amounts in yuan are ≥ 0", min_value=0
            ))
        elif col.kind in (Kind.INTEGER, Kind.YEAR) and (
            col.min_value is not None or col.max_value is not None
        ):
            checks.append(between(
                f"{name}_in_range", name, BLOCKING, f"{name} within its contract range",
                min_value=col.min_value, max_value=col.max_value,
            ))
        elif col.kind is Kind.DATE:
            late = "" if name in FUTURE_DATES_OK else f" or {name} > {_period_end()}"
            checks.append(unexpected_rows(
                f"{name}_in_range", WARNING,
                f"{name} from {EARLIEST_DATE}"
                + ("" if late == "" else " to the end of the snapshot month"),
                f"select * from batch_rows where {name} < date '{EARLIEST_DATE}'{late}",
                [name],
            ))
    checks.extend(_STAGING_EXTRAS.get(feed.name, ()))
    return SuiteSpec(
        name=f"staging.{feed.name}", layer="staging", table=feed.name, schema="staging",
        month_column=STAGING_SNAPSHOT_COLUMN, sample_columns=STAGING_SOURCE_COLUMNS,
        checks=tuple(checks),
        empty_month_ok=True,
    )


_STAGING_EXTRAS: dict[str, tuple[Check, ...]] = {
    "medical": (
        unique(
            ("id_number", "coverage_year"), "one_enrolment_per_person_year", BLOCKING,
            "staging keeps one medical row per person and coverage year (FEEDS.md dedup rule)",
        ),
    ),
    "social_assistance": (
        unexpected_rows(
            "end_not_before_start", WARNING, "an assistance record ends on or after its start",
            "select * from batch_rows where end_on < start_on", ["start_on", "end_on"],
        ),
    ),
}


def suites() -> tuple[SuiteSpec, ...]:
    """Every feed's staging suite, in contract order."""
    return tuple(staging_suite(f) for f in FEEDS.values())
