"""Every audit check, declared as data: which suite, which expectation, blocking or warning.

The Great Expectations suites under ``expectations/expectations/`` are generated from these
declarations (``fangpin.audit.gx_project.sync_suites``), so a reviewer reads the checks and
their severity here, and GX's JSON is their faithful, diffable rendering. Nothing here imports
Great Expectations: DAG parsing and ``fangpin status`` stay fast.

Layers and suites (suite names are ``<layer>.<table or feed>``; one suite is one batch):

- ``raw.<feed>`` on ``raw.<feed>``, the month's delivery: required columns present and filled.
  ``raw.load_history`` on ``ops.load_history``, the month's files: volume against the previous
  delivery, quarantine share, rejected files.
- ``staging.<feed>`` on the staging view that reads ``raw.<feed>``, the month's snapshot:
  derived from the feed contract (``fangpin.feeds.contracts``): keys, id numbers, county and
  village codes, enumerations, amounts, dates.
- ``marts.<table>`` on the build schema: month-grained marts are audited on the month being
  built (older months were audited when they were built), the others whole.

Severity: *blocking* refuses the publish; *warning* publishes and is recorded. The rule of thumb
is that a blocking check guards the warehouse's integrity (keys, codes, flags that contradict
the rules, published values out of their domain), while a warning flags something a person
should look at but that does not make the published numbers wrong (a date out of range in one
department's record, an implausible income jump).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fangpin.feeds.contracts import FEEDS, Feed, Kind

Severity = Literal["blocking", "warning"]
BLOCKING: Severity = "blocking"
WARNING: Severity = "warning"

#: The raw metadata that locates a row: the snapshot it belongs to, its file and line.
SNAPSHOT_COLUMN = "_snapshot_month"
SOURCE_COLUMNS = ("_source_file", "_source_line")
#: The same in staging, which keeps it under plain names (dbt models/staging), and the
#: contract columns that staging renames.
STAGING_SNAPSHOT_COLUMN = "snapshot_month"
STAGING_SOURCE_COLUMNS = ("source_file", "source_line")
STAGING_RENAMES = {"name": "person_name"}

#: Operational thresholds of the load checks (not policy parameters, so not seeds).
VOLUME_BAND = (0.5, 2.0)  # this month's rows ÷ the previous delivery's, per feed
QUARANTINE_WARN_SHARE = 0.01
QUARANTINE_BLOCK_SHARE = 0.05
EARLIEST_DATE = "1990-01-01"
#: Dates that may lie after the snapshot: a planned end (a dibao record's end_on).
FUTURE_DATES_OK = frozenset({"end_on"})

ID_NUMBER_REGEX = r"^[0-9]{17}[0-9X]$"
MASKED_ID_REGEX = r"^[0-9]{6}\*{8}[0-9]{3}[0-9X]$"
VILLAGE_REGEX = r"^[0-9]{12}$"

SIGNALS = (
    "sig_edu_dropout", "sig_edu_unverified", "sig_med_uninsured", "sig_med_unverified",
    "sig_med_burden", "sig_house_unsafe", "sig_house_unverified", "sig_water_unsafe",
    "sig_water_unverified", "sig_disaster", "sig_job_none", "sig_income_low",
    "sig_safety_net_gap",
)
#: docs/contract/RULES.md: should_monitor is any of these.
MONITOR_SIGNALS = (
    "sig_income_low", "sig_edu_dropout", "sig_med_uninsured", "sig_med_burden",
    "sig_house_unsafe", "sig_water_unsafe", "sig_disaster", "sig_safety_net_gap",
)
PROBLEM_CODES = (
    "EDU_DROPOUT", "MED_UNINSURED", "HOUSE_UNSAFE", "WATER_UNSAFE", "DISASTER", "SAFETY_NET_GAP",
)
DOUBT_CODES = (
    "ELIMINATED_TOO_SOON", "ELIMINATED_BELOW_LINE", "AT_RISK_WITHOUT_CAUSE",
    "MONITORED_WITHOUT_DATE", "EMPLOYMENT_CAUSE_NO_LABOUR", "TYPE_STATUS_MISMATCH",
)
RATES = (
    "education_rate", "medical_rate", "housing_rate", "water_rate", "employment_rate",
    "identification_rate", "rectification_rate", "wrong_exit_rate",
)
SCORECARD_COUNTS = (
    "households", "persons", "out_of_poverty_households", "at_risk_households",
    "eliminated_households", "missed_identifications", "problems_found", "problems_rectified",
)


@dataclass(frozen=True)
class Check:
    """One expectation: its stable name, its severity and the GX class and arguments.

    ``columns`` names the columns the check is about, so that a failing row's sample keeps
    them (and little else) when the query returns whole rows.
    """

    name: str
    severity: Severity
    expectation: str
    kwargs: Mapping[str, Any]
    description: str
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuiteSpec:
    """One suite and the batch it validates.

    ``schema`` None means the audited build schema, reached through the connection's
    ``search_path`` so that the same suite audits ``marts_build`` or any other build.
    For staging, ``table`` is the feed: the view is whichever staging view reads ``raw.<feed>``.
    ``month_column`` set: the batch is that month's rows; None: the whole table.
    ``required`` False: the table may not exist yet (a later mart), its absence is a warning.
    ``empty_month_ok``: no rows for the month is normal (a feed not delivered, no doubt points).
    """

    name: str
    layer: str
    table: str
    schema: str | None
    month_column: str | None
    sample_columns: tuple[str, ...]
    checks: tuple[Check, ...]
    required: bool = True
    empty_month_ok: bool = False
    meta: Mapping[str, Any] = field(default_factory=dict)


# --- building blocks ---------------------------------------------------------------------


def _check(
    name: str, severity: Severity, expectation: str, description: str,
    columns: Iterable[str] = (), **kwargs: Any,
) -> Check:
    return Check(name, severity, expectation, kwargs, description, tuple(columns))


def rows_query(body: str) -> str:
    """An UnexpectedRowsExpectation query over the batch, as the CTE ``batch_rows``.

    GX substitutes ``{batch}`` with the table, or for a month's batch with a subquery that it
    aliases itself unless the query contains JOIN (then the query must alias it). Wrapping the
    batch in one CTE hides that difference, so every body reads ``from batch_rows``.
    """
    alias = " as batch_source" if re.search(r"\bjoin\b", body, re.IGNORECASE) else ""
    return f"with batch_rows as (select * from {{batch}}{alias})\n{textwrap.dedent(body).strip()}"


def unexpected_rows(
    name: str, severity: Severity, description: str, body: str, columns: Iterable[str] = ()
) -> Check:
    return _check(
        name, severity, "UnexpectedRowsExpectation", description, columns,
        unexpected_rows_query=rows_query(body),
    )


def not_null(column: str, severity: Severity = BLOCKING) -> Check:
    return _check(
        f"{column}_not_null", severity, "ExpectColumnValuesToNotBeNull",
        f"{column} is required", [column], column=column,
    )


def in_set(column: str, values: Iterable[str], severity: Severity = BLOCKING) -> Check:
    return _check(
        f"{column}_in_set", severity, "ExpectColumnValuesToBeInSet",
        f"{column} is one of the codes of its closed enumeration", [column],
        column=column, value_set=sorted(values),
    )


def between(
    name: str, column: str, severity: Severity, description: str,
    min_value: float | None = None, max_value: float | None = None,
) -> Check:
    return _check(
        name, severity, "ExpectColumnValuesToBeBetween", description, [column],
        column=column, min_value=min_value, max_value=max_value,
    )


def matches(name: str, column: str, regex: str, severity: Severity, description: str) -> Check:
    return _check(
        name, severity, "ExpectColumnValuesToMatchRegex", description, [column],
        column=column, regex=regex,
    )


def unique(columns: tuple[str, ...], name: str, severity: Severity, description: str) -> Check:
    if len(columns) == 1:
        return _check(
            name, severity, "ExpectColumnValuesToBeUnique", description, columns,
            column=columns[0],
        )
    return _check(
        name, severity, "ExpectCompoundColumnsToBeUnique", description, columns,
        column_list=list(columns),
    )


def row_count_at_least_one(description: str) -> Check:
    return _check(
        "rows_for_month", BLOCKING, "ExpectTableRowCountToBeBetween", description, min_value=1
    )


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


# --- raw -----------------------------------------------------------------------------------


def raw_suite(feed: Feed) -> SuiteSpec:
    """A delivery as loaded: the contract's required columns exist and are filled."""
    required = [c.name for c in feed.required_columns]
    checks = [
        _check(
            "required_columns_present", BLOCKING, "ExpectTableColumnsToMatchSet",
            "raw table carries the load metadata and every required column of the contract",
            column_set=[SNAPSHOT_COLUMN, *SOURCE_COLUMNS, *required], exact_match=False,
        ),
        *(not_null(c) for c in required),
    ]
    if "household_id" in {c.name for c in feed.columns}:
        # Staging pseudonymises such keys (macro household_key), so nothing plain is
        # published; the department should still be told to key households otherwise.
        checks.append(unexpected_rows(
            "household_id_not_an_id_number", WARNING,
            "household_id is not an id number (a department keying households by the head's "
            "id number: pseudonymised at staging, reported here)",
            "select * from batch_rows where ops.id_number_valid(upper(trim(household_id)))",
            ["household_id"],
        ))
    return SuiteSpec(
        name=f"raw.{feed.name}", layer="raw", table=feed.name, schema="raw",
        month_column=SNAPSHOT_COLUMN, sample_columns=SOURCE_COLUMNS, checks=tuple(checks),
        empty_month_ok=True,
    )


_LOADED = "status = 'loaded'"


def load_history_suite() -> SuiteSpec:
    """The month's files against the previous delivery of the same feed (ops.load_history)."""
    low, high = VOLUME_BAND
    volume = f"""
        , this_month as (
            select feed, month, sum(rows_loaded) as rows_loaded
            from batch_rows where {_LOADED} group by feed, month
        ), compared as (
            select t.feed, t.month, t.rows_loaded,
                   (select max(h.month) from ops.load_history h
                     where h.feed = t.feed and h.{_LOADED} and h.month < t.month) as previous_month
            from this_month t
        ), with_previous as (
            select c.*,
                   (select sum(h.rows_loaded) from ops.load_history h
                     where h.feed = c.feed and h.{_LOADED} and h.month = c.previous_month)
                       as previous_rows
            from compared c
        )
        select feed, month, rows_loaded, previous_month, previous_rows
        from with_previous
        where previous_rows > 0
          and (rows_loaded < {low} * previous_rows or rows_loaded > {high} * previous_rows)
    """

    def quarantine(limit: float) -> str:
        return f"""
            select feed, month, sum(rows_quarantined) as rows_quarantined,
                   sum(rows_read) as rows_read
            from batch_rows where {_LOADED}
            group by feed, month
            having sum(rows_quarantined) > {limit} * sum(rows_read)
        """

    checks = (
        unexpected_rows(  # the body continues rows_query's CTE list, hence its leading comma
            "load_volume_within_band", BLOCKING,
            f"each feed's rows this month are within {low:.0%}–{high:.0%} of its previous "
            "delivery: a far smaller file is a partial export, a far larger one a duplicate",
            volume,
        ),
        unexpected_rows(
            f"quarantine_share_under_{QUARANTINE_BLOCK_SHARE:.0%}".replace("%", "pct"),
            BLOCKING,
            f"at most {QUARANTINE_BLOCK_SHARE:.0%} of a feed's rows set aside this month",
            quarantine(QUARANTINE_BLOCK_SHARE),
        ),
        unexpected_rows(
            f"quarantine_share_under_{QUARANTINE_WARN_SHARE:.0%}".replace("%", "pct"),
            WARNING,
            f"more than {QUARANTINE_WARN_SHARE:.0%} of a feed's rows set aside is worth a look",
            quarantine(QUARANTINE_WARN_SHARE),
        ),
        unexpected_rows(
            "no_rejected_or_failed_files", WARNING,
            "a rejected or failed file means part of a feed is missing for the month",
            "select feed, month, file_name, status, error from batch_rows "
            "where status in ('rejected', 'failed')",
        ),
    )
    return SuiteSpec(
        name="raw.load_history", layer="raw", table="load_history", schema="ops",
        month_column="month", sample_columns=(), checks=checks, empty_month_ok=True,
    )


# --- staging -------------------------------------------------------------------------------


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
                f"not in ({_sql_list(c.code for c in col.codes)}))",
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


# --- marts ---------------------------------------------------------------------------------

_IN_DIM_COUNTY = (
    "select * from batch_rows b where not exists "
    "(select 1 from dim_county d where d.county_code = b.county_code)"
)


#: fct_household_month restricted to the batch's months. The mart holds every month built and
#: a check compares one month with it: with the bound spelled out, PostgreSQL reads that month
#: (the BRIN index on month) instead of hashing the whole history at every check.
_FACTS_OF_BATCH = (
    "(select * from fct_household_month where month between "
    "(select min(month) from batch_rows) and (select max(month) from batch_rows))"
)


def _county_in_dim(description: str = "county_code is a county of dim_county") -> Check:
    return unexpected_rows(
        "county_in_dim_county", BLOCKING, description, _IN_DIM_COUNTY, ["county_code"]
    )


def _rule(name: str, flag: str, definition: str, text: str) -> Check:
    return unexpected_rows(
        name, BLOCKING, text,
        f"select month, household_id, county_code, {flag} from batch_rows "
        f"where {flag} is distinct from ({definition})",
        [flag],
    )


def _any(columns: Iterable[str]) -> str:
    return " or ".join(columns)


def fct_household_month_suite() -> SuiteSpec:
    hh = FEEDS["registry_households"]
    flags = (
        "should_monitor", "missed_identification", "relapse_after_elimination",
        "education_ok", "medical_ok", "housing_ok", "water_ok", *SIGNALS,
    )
    checks = (
        row_count_at_least_one("the month being published is in the build"),
        unique(
            ("month", "household_id"), "household_month_unique", BLOCKING,
            "one row per household and month",
        ),
        *(not_null(c) for c in ("household_id", "county_code", "village_code")),
        unexpected_rows(
            "flags_not_null", BLOCKING, "every signal and derived flag is true or false",
            f"select month, household_id from batch_rows where num_nulls({', '.join(flags)}) > 0",
        ),
        _county_in_dim(),
        unexpected_rows(
            "village_in_county", BLOCKING, "a household's village lies in its county",
            "select month, household_id, county_code, village_code from batch_rows "
            "where left(village_code, 6) <> county_code",
        ),
        matches(
            "head_id_masked_format", "head_id_masked", MASKED_ID_REGEX, BLOCKING,
            "the head's id number is published masked: first 6 and last 4 characters only",
        ),
        *(in_set(c, (code.code for code in hh.column(c).codes))
          for c in ("household_type", "monitoring_type", "monitoring_status")),
        between(
            "per_capita_net_income_not_negative", "per_capita_net_income", BLOCKING,
            "income in yuan is ≥ 0", min_value=0,
        ),
        between(
            "member_count_positive", "member_count", WARNING,
            "a registered household with no registered member counts nobody", min_value=1,
        ),
        _rule(
            "should_monitor_rule", "should_monitor", _any(MONITOR_SIGNALS),
            "should_monitor is any of the eight monitoring signals (RULES.md)",
        ),
        _rule(
            "missed_identification_rule", "missed_identification",
            "should_monitor and monitoring_status <> 'at_risk'",
            "missed identification = should_monitor and not at_risk",
        ),
        _rule(
            "relapse_rule", "relapse_after_elimination",
            "should_monitor and monitoring_status = 'eliminated'",
            "relapse after elimination = should_monitor and eliminated",
        ),
        _rule(
            "education_ok_rule", "education_ok", "not (sig_edu_dropout or sig_edu_unverified)",
            "education is met without EDU_DROPOUT and EDU_UNVERIFIED",
        ),
        _rule(
            "medical_ok_rule", "medical_ok", "not (sig_med_uninsured or sig_med_unverified)",
            "medical is met without MED_UNINSURED and MED_UNVERIFIED",
        ),
        _rule(
            "housing_ok_rule", "housing_ok", "not (sig_house_unsafe or sig_house_unverified)",
            "housing is met without HOUSE_UNSAFE and HOUSE_UNVERIFIED",
        ),
        _rule(
            "water_ok_rule", "water_ok", "not (sig_water_unsafe or sig_water_unverified)",
            "water is met without WATER_UNSAFE and WATER_UNVERIFIED",
        ),
    )
    return SuiteSpec(
        name="marts.fct_household_month", layer="marts", table="fct_household_month",
        schema=None, month_column="month", sample_columns=("month", "household_id"),
        checks=checks,
    )


#: Key counties with no households now that had some in the latest published month before it
#: (ops.published_county_households, 006_published_counties.sql), with the registry files the
#: month was built from, so that the refusal names both.
_VANISHED = """
    , published as (
        select p.* from ops.published_county_households(
            (select max(month) from batch_rows)) p
    ), registry_files as (
        select string_agg(to_char(h.month, 'YYYY-MM') || '/' || h.feed || '/' || h.file_name,
                          ', ' order by h.feed, h.file_name) as files
        from ops.load_history h
        where h.status = 'loaded'
          and h.feed in ('registry_households', 'registry_members')
          and h.month = (select max(l.month) from ops.load_history l
                          where l.feed = h.feed and l.status = 'loaded'
                            and l.month <= (select max(month) from batch_rows))
    )
    select b.month, b.county_code, b.county_name, p.month as last_published_month,
           p.households as households_then, r.files as registry_files
    from batch_rows b
    join published p on p.county_code = b.county_code
    cross join registry_files r
    where b.is_key_county and b.households = 0 and p.households > 0
"""


def mart_county_scorecard_suite() -> SuiteSpec:
    checks = (
        row_count_at_least_one("the month being published is scored"),
        unique(
            ("month", "county_code"), "county_month_unique", BLOCKING,
            "one row per county and month",
        ),
        _county_in_dim(),
        *(between(f"{r}_in_0_1", r, BLOCKING, "a rate is between 0 and 1", 0, 1) for r in RATES),
        between("score_in_0_100", "score", BLOCKING, "the score is between 0 and 100", 0, 100),
        unexpected_rows(
            "counts_not_negative", BLOCKING, "counts are ≥ 0",
            "select month, county_code from batch_rows where "
            + " or ".join(f"{c} < 0" for c in SCORECARD_COUNTS),
        ),
        unexpected_rows(
            "key_counties_reported", BLOCKING,
            "every key county of the month's list has a row: scored, or reported as not scored",
            "select d.county_code, d.county_name from dim_county d where d.is_key_county "
            "and not exists (select 1 from batch_rows b where b.county_code = d.county_code)",
        ),
        unexpected_rows(
            "key_counties_scored_when_registered", BLOCKING,
            "a key county with registered households has a score and a rank",
            "select month, county_code, county_name, households from batch_rows "
            "where is_key_county and households > 0 and (score is null or key_rank is null)",
        ),
        unexpected_rows(
            "key_counties_without_households", WARNING,
            "a key county with no registered households in the month is reported, not scored",
            "select month, county_code, county_name, not_scored_reason from batch_rows "
            "where is_key_county and households = 0",
        ),
        unexpected_rows(
            "key_counties_not_vanished", BLOCKING,
            "a key county that had registered households in the previous published month has "
            "some now: a registry that lost part of the province is not published",
            _VANISHED,
            columns=("county_code", "county_name", "last_published_month", "households_then",
                     "registry_files"),
        ),
        unexpected_rows(
            "key_rank_only_for_key_counties", BLOCKING,
            "key_rank is null outside the key counties",
            "select b.month, b.county_code, b.key_rank from batch_rows b "
            "join dim_county d on d.county_code = b.county_code "
            "where b.key_rank is not null and not d.is_key_county",
        ),
        unexpected_rows(
            "households_match_fct_household_month", BLOCKING,
            "a county's households are its rows in fct_household_month for the month",
            "select b.month, b.county_code, b.households, count(f.household_id) as fact_rows "
            f"from batch_rows b left join {_FACTS_OF_BATCH} f "
            "on f.month = b.month and f.county_code = b.county_code "
            "group by b.month, b.county_code, b.households "
            "having b.households <> count(f.household_id)",
        ),
        between(
            "income_growth_plausible", "income_growth", WARNING,
            "median income rarely halves or doubles in a year: look before trusting it",
            -0.5, 1.0,
        ),
    )
    return SuiteSpec(
        name="marts.mart_county_scorecard", layer="marts", table="mart_county_scorecard",
        schema=None, month_column="month", sample_columns=("month", "county_code"),
        checks=checks,
    )


def dim_county_suite() -> SuiteSpec:
    checks = (
        not_null("county_code"),
        unique(("county_code",), "county_code_unique", BLOCKING, "one row per county"),
        unexpected_rows(
            "county_in_seed", BLOCKING, "every county is a county of the province (seed)",
            "select county_code, county_name from batch_rows where county_code not in "
            "(select county_code from seeds.shanxi_counties)",
        ),
        not_null("is_key_county"),
        unexpected_rows(
            "some_key_county", BLOCKING, "the key assistance counties are marked",
            "select 'no key county' as problem "
            "where not exists (select 1 from batch_rows where is_key_county)",
        ),
        unexpected_rows(
            "city_code_prefix", WARNING, "a county code starts with its city code",
            "select county_code, city_code from batch_rows where left(county_code, 4) <> city_code",
        ),
    )
    return SuiteSpec(
        name="marts.dim_county", layer="marts", table="dim_county", schema=None,
        month_column=None, sample_columns=("county_code",), checks=checks,
    )


def fct_problem_suite() -> SuiteSpec:
    required = ("household_id", "county_code", "code", "found_month", "outcome")
    checks = (
        unexpected_rows(
            "required_not_null", BLOCKING, "a problem has a household, county, code, "
            "month found and outcome",
            f"select * from batch_rows where num_nulls({', '.join(required)}) > 0",
        ),
        in_set("code", PROBLEM_CODES),
        in_set("outcome", ("open", "rectified", "left_registry")),
        unique(
            ("household_id", "code", "found_month"), "problem_unique", BLOCKING,
            "a (household, code) problem is found once a month",
        ),
        unexpected_rows(
            "closed_iff_not_open", BLOCKING,
            "an open problem has no closed_month; a closed one has",
            "select household_id, code, found_month, closed_month, outcome from batch_rows "
            "where (outcome = 'open') = (closed_month is not null)",
        ),
        unexpected_rows(
            "closed_after_found", BLOCKING, "a problem closes in a month after it was found",
            "select household_id, code, found_month, closed_month from batch_rows "
            "where closed_month <= found_month",
        ),
        _county_in_dim(),
    )
    return SuiteSpec(
        name="marts.fct_problem", layer="marts", table="fct_problem", schema=None,
        month_column=None, sample_columns=("household_id", "code", "found_month"),
        checks=checks,
    )


def mart_doubt_point_suite() -> SuiteSpec:
    checks = (
        in_set("code", DOUBT_CODES),
        unique(
            ("month", "household_id", "code"), "doubt_point_unique", BLOCKING,
            "one row per household, month and doubt code",
        ),
        unexpected_rows(
            "household_in_fct_household_month", WARNING,
            "a doubt point is about a household of the month",
            "select b.month, b.household_id, b.code from batch_rows b "
            f"left join {_FACTS_OF_BATCH} f "
            "on f.month = b.month and f.household_id = b.household_id "
            "where f.household_id is null",
        ),
    )
    return SuiteSpec(
        name="marts.mart_doubt_point", layer="marts", table="mart_doubt_point", schema=None,
        month_column="month", sample_columns=("month", "household_id", "code"), checks=checks,
        empty_month_ok=True,
    )


def mart_feed_reporting_suite() -> SuiteSpec:
    checks = (
        row_count_at_least_one("the month's feed reporting is built"),
        in_set("feed", FEEDS),
        unique(("month", "feed"), "feed_month_unique", BLOCKING, "one row per feed and month"),
        between("coverage_in_0_1", "coverage", BLOCKING, "coverage is a share", 0, 1),
        between(
            "target_coverage_in_0_1", "target_coverage", BLOCKING,
            "coverage of the population the feed should cover is a share", 0, 1,
        ),
        unexpected_rows(
            "target_covered_within_target", BLOCKING,
            "a feed covers no more of its target population than there is",
            "select month, feed, target_registered, target_covered from batch_rows "
            "where target_covered > target_registered",
        ),
        unexpected_rows(
            "rows_not_negative", BLOCKING, "row counts are ≥ 0",
            "select month, feed from batch_rows where rows_loaded < 0 or rows_quarantined < 0",
        ),
        unexpected_rows(
            "every_feed_reported", WARNING, "all eight feeds have a row, arrived or not",
            "select month, count(*) as feeds from batch_rows group by month "
            f"having count(*) <> {len(FEEDS)}",
        ),
    )
    return SuiteSpec(
        name="marts.mart_feed_reporting", layer="marts", table="mart_feed_reporting",
        schema=None, month_column="month", sample_columns=("month", "feed"), checks=checks,
        required=False,
    )


def dim_policy_suite() -> SuiteSpec:
    """The policy evaluators read beside the scores: whole, one value per parameter and year."""
    checks = (
        unique(("year", "parameter"), "parameter_year_unique", BLOCKING,
               "one value per parameter and year"),
        not_null("value_text"),
        not_null("meaning_en"),
        not_null("meaning_zh"),
        in_set("source", ("seed", "imported")),
        unexpected_rows(
            "every_marts_year", BLOCKING, "the policy of every year the marts hold is published",
            "select distinct cast(extract(year from f.month) as integer) as year "
            "from fct_household_month f where cast(extract(year from f.month) as integer) "
            "not in (select year from batch_rows)",
        ),
        unexpected_rows(
            "score_weights_sum_to_one", BLOCKING,
            "the seven score weights of each year are published and sum to 1",
            "select year, count(*) as weights, sum(value) as total from batch_rows "
            "where left(parameter, 13) = 'score_weight_' group by year "
            "having count(*) <> 7 or sum(value) <> 1",
        ),
    )
    return SuiteSpec(
        name="marts.dim_policy", layer="marts", table="dim_policy", schema=None,
        month_column=None, sample_columns=("year", "parameter"), checks=checks,
    )


def mart_field_sample_suite() -> SuiteSpec:
    checks = (
        in_set("reason", ("missed_identification", "random")),
        unique(
            ("month", "household_id"), "household_sampled_once", BLOCKING,
            "a household is sampled at most once a month",
        ),
        unexpected_rows(
            "sampled_household_in_county", BLOCKING,
            "a sampled household is one of the county's households that month",
            "select b.month, b.county_code, b.household_id from batch_rows b "
            f"left join {_FACTS_OF_BATCH} f on f.month = b.month "
            "and f.household_id = b.household_id and f.county_code = b.county_code "
            "where f.household_id is null",
        ),
        unexpected_rows(
            "only_key_counties", BLOCKING, "field samples are drawn in key counties only",
            "select b.month, b.county_code from batch_rows b "
            "join dim_county d on d.county_code = b.county_code where not d.is_key_county",
        ),
    )
    return SuiteSpec(
        name="marts.mart_field_sample", layer="marts", table="mart_field_sample", schema=None,
        month_column="month", sample_columns=("month", "county_code", "household_id"),
        checks=checks, required=False, empty_month_ok=True,
    )


def mart_evaluation_assignment_suite() -> SuiteSpec:
    checks = (
        unique(
            ("year", "county_code"), "county_year_unique", BLOCKING,
            "a key county has one evaluating city a year",
        ),
        unexpected_rows(
            "never_own_city", BLOCKING, "a county is never evaluated by its own city",
            "select b.year, b.county_code, b.evaluating_city_code from batch_rows b "
            "join dim_county d on d.county_code = b.county_code "
            "where b.evaluating_city_code = d.city_code",
        ),
        unexpected_rows(
            "every_key_county_assigned", BLOCKING,
            "every key county is assigned in every year of the table",
            "select y.year, d.county_code from (select distinct year from batch_rows) y "
            "cross join dim_county d where d.is_key_county and not exists "
            "(select 1 from batch_rows b where b.year = y.year and b.county_code = d.county_code)",
        ),
        unexpected_rows(
            "balanced_across_cities", BLOCKING,
            "counties per evaluating city differ by at most one across the cities",
            "select year, max(counties) - min(counties) as spread from ("
            "select y.year, c.city_code, count(b.county_code) as counties "
            "from (select distinct year from batch_rows) y "
            "cross join (select distinct city_code from dim_county) c "
            "left join batch_rows b on b.year = y.year and b.evaluating_city_code = c.city_code "
            "group by y.year, c.city_code) per_city "
            "group by year having max(counties) - min(counties) > 1",
        ),
    )
    return SuiteSpec(
        name="marts.mart_evaluation_assignment", layer="marts",
        table="mart_evaluation_assignment", schema=None, month_column=None,
        sample_columns=("year", "county_code"), checks=checks, required=False,
    )


def all_suites() -> tuple[SuiteSpec, ...]:
    """Every suite, in the order they run: raw, staging, then marts (dimensions first)."""
    return (
        *(raw_suite(f) for f in FEEDS.values()),
        load_history_suite(),
        *(staging_suite(f) for f in FEEDS.values()),
        dim_county_suite(),
        dim_policy_suite(),
        fct_household_month_suite(),
        mart_county_scorecard_suite(),
        fct_problem_suite(),
        mart_doubt_point_suite(),
        mart_feed_reporting_suite(),
        mart_field_sample_suite(),
        mart_evaluation_assignment_suite(),
    )
