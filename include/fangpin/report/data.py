"""What the evaluation report shows, read from the published ``marts`` schema in one go.

Only ``marts`` is read, the schema evaluators query, so every figure in the report is one they
can check with SQL. The queries are the files of ``fangpin/report/sql``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources

import psycopg

from fangpin.domain import codes as domain
from fangpin.warehouse.connection import one_row

#: The seven scored rates (docs/contract/RULES.md "County scorecard"): column, English, Chinese.
RATES: tuple[tuple[str, str, str], ...] = tuple(
    (rate.column, rate.english, rate.chinese) for rate in domain.RATES
)

#: Evaluators expect the wrong-exit rate (错退率) below 2 % (docs/contract/RULES.md
#: "Wrong-exit rate"). An expectation of the evaluation, not a policy parameter: no seed or
#: mart holds it, so the report states it here and says so where it uses it.
WRONG_EXIT_LIMIT = 0.02


class NothingPublished(LookupError):
    """The month has no published scorecard: there is nothing to report."""


@dataclass(frozen=True)
class FieldSample:
    """A key county's field-verification sample of the month, as counts (no household)."""

    households: int
    missed: int
    random: int
    sampled_before: int
    with_signals: int
    signals: str | None


@dataclass(frozen=True)
class CountyLine:
    """One key county's line of the report."""

    county_code: str
    county_name: str
    city_name: str
    key_rank: int | None
    key_rank_change: int | None
    score: float | None
    score_change: float | None
    households: int
    missed_identifications: int
    open_problems: int
    evaluating_city_name: str | None
    rates: dict[str, float | None]
    eliminated_households: int = 0
    relapsed_eliminated_households: int = 0
    wrong_exit_rate: float | None = None
    income_median: float | None = None
    income_growth: float | None = None
    #: Income median in the year's first published month before this one (None if none).
    income_year_start: float | None = None
    sample: FieldSample | None = None

    @property
    def income_growth_in_year(self) -> float | None:
        return _growth(self.income_median, self.income_year_start)


@dataclass(frozen=True)
class FeedColumn:
    """A column of ``marts.mart_feed_reporting`` the report shows: add one to show one more.

    ``good`` says which values are coloured as good (True) or bad (False); None colours nothing.
    """

    column: str
    zh: str
    en: str
    kind: str  # "yes_no", "int", "pct", "text", "basis"
    good: Callable[[object], bool | None] | None = None


def _on_time(value: object) -> bool | None:
    return None if value is None else bool(value)


def _none_rejected(value: object) -> bool | None:
    return None if value is None else int(value) == 0  # type: ignore[call-overload]


#: The feed table's columns, in order. A column the publish does not have is left out.
FEED_COLUMNS: tuple[FeedColumn, ...] = (
    FeedColumn("arrived", "报送", "Arrived", "yes_no", _on_time),
    FeedColumn("on_time", "按时", "On time", "yes_no", _on_time),
    FeedColumn("days_late", "逾期天数", "Days late", "int"),
    FeedColumn("files_rejected", "拒收文件", "Files rejected", "int", _none_rejected),
    FeedColumn("rows_loaded", "入库行数", "Rows loaded", "int"),
    FeedColumn("rows_quarantined", "隔离行数", "Quarantined", "int"),
    FeedColumn("coverage_basis", "覆盖口径", "Coverage of", "basis"),
    FeedColumn("coverage", "覆盖率", "Coverage", "pct"),
    FeedColumn("target_population", "目标人群", "Should cover", "basis"),
    FeedColumn("target_coverage", "目标人群覆盖率", "Target coverage", "pct"),
)


@dataclass(frozen=True)
class FeedLine:
    """One feed and month of ``marts.mart_feed_reporting``: the values of ``FEED_COLUMNS``."""

    month: date
    feed: str
    feed_name_zh: str
    values: dict[str, object]


@dataclass(frozen=True)
class TrendPoint:
    month: date
    county_code: str
    score: float | None
    key_rank: int | None


@dataclass(frozen=True)
class Province:
    """The province (全省, every registered household) for the month."""

    households: int
    persons: int
    missed_identifications: int
    open_problems: int
    rates: dict[str, float | None]
    eliminated_households: int = 0
    relapsed_eliminated_households: int = 0
    wrong_exit_rate: float | None = None
    income_median: float | None = None
    income_median_year_before: float | None = None
    income_year_start: float | None = None

    @property
    def income_growth(self) -> float | None:
        """Median on the same month a year before, as the scorecard's income_growth."""
        return _growth(self.income_median, self.income_median_year_before)

    @property
    def income_growth_in_year(self) -> float | None:
        return _growth(self.income_median, self.income_year_start)


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows."""

    month: date
    published: dict
    counties: list[CountyLine]
    province: Province
    trend: list[TrendPoint] = field(default_factory=list)
    feeds: list[FeedLine] = field(default_factory=list)
    feed_columns: tuple[FeedColumn, ...] = FEED_COLUMNS
    #: The year's first published month before ``month``: the base of the within-year growth.
    year_start: date | None = None
    #: Per year, the age bounds the target populations were counted with (marts.dim_policy):
    #: ``compulsory_age_min`` … ``working_age_max``. The feed table labels its rows with them.
    ages_by_year: dict[int, dict[str, int]] = field(default_factory=dict)

    @property
    def months(self) -> list[date]:
        """The published months the report covers, oldest first."""
        return sorted({p.month for p in self.trend} | {f.month for f in self.feeds}
                      | {self.month})


def query(name: str) -> str:
    """The text of ``fangpin/report/sql/<name>.sql``."""
    return (resources.files("fangpin.report.sql") / f"{name}.sql").read_text("utf-8")


def load_report_data(url: str, month: date) -> ReportData:
    """Read the month's figures from the published marts; ``NothingPublished`` if none."""
    month = month.replace(day=1)
    params = {"month": month}
    rate_columns = ", ".join(f"s.{column}" for column, _, _ in RATES)
    with psycopg.connect(url) as conn:
        rows = conn.execute(query("counties").format(rates=rate_columns), params).fetchall()
        if not rows:
            raise NothingPublished(
                f"no key county is scored for {month:%Y-%m} in marts.mart_county_scorecard: "
                "build and publish the month first"
            )
        year_start = rows[0][16]
        province = _province(conn, month, year_start)
        samples = {r[0]: _sample(r) for r in _optional(conn, query("field_sample"), params)}
        trend = [TrendPoint(r[0], r[1], _float(r[2]), r[3])
                 for r in conn.execute(query("trend"), params).fetchall()]
        columns, feeds = _feeds(conn, month)
        ages = _ages_by_year(conn)
        comment = conn.execute(
            "select obj_description(oid, 'pg_namespace') from pg_namespace "
            "where nspname = 'marts'"
        ).fetchone()
    counties = [_county(r, samples.get(r[0])) for r in rows]
    return ReportData(
        month=month, published=_state(comment[0] if comment else None), counties=counties,
        province=province, trend=trend, feeds=feeds, feed_columns=columns,
        year_start=year_start, ages_by_year=ages,
    )


#: The policy parameters that bound the target populations' ages (docs/contract/RULES.md).
AGE_PARAMETERS = ("compulsory_age_min", "compulsory_age_max", "working_age_min",
                  "working_age_max")


def _ages_by_year(conn: psycopg.Connection) -> dict[int, dict[str, int]]:
    """The age bounds of every year marts.dim_policy holds: the report names the target
    populations with the ages they were counted with, not with ages typed into the report."""
    ages: dict[int, dict[str, int]] = {}
    rows = conn.execute(
        "select year, parameter, value from marts.dim_policy where parameter = any(%s)",
        [list(AGE_PARAMETERS)],
    ).fetchall()
    for year, parameter, value in rows:
        ages.setdefault(int(year), {})[parameter] = int(value)
    return ages


def _sample(r: tuple) -> FieldSample:
    households, missed, random, before, with_signals = (int(v) for v in r[1:6])
    return FieldSample(households, missed, random, before, with_signals, r[6])


def _county(r: tuple, sample: FieldSample | None) -> CountyLine:
    return CountyLine(
        county_code=r[0], county_name=r[1] or r[0], city_name=r[2] or "",
        key_rank=r[3], key_rank_change=r[4], score=_float(r[5]), score_change=_float(r[6]),
        households=int(r[7] or 0), missed_identifications=int(r[8] or 0),
        open_problems=int(r[9] or 0), evaluating_city_name=r[10],
        eliminated_households=int(r[11] or 0), relapsed_eliminated_households=int(r[12] or 0),
        wrong_exit_rate=_float(r[13]), income_median=_float(r[14]), income_growth=_float(r[15]),
        income_year_start=_float(r[17]),
        rates={column: _float(v) for (column, _, _), v in zip(RATES, r[18:], strict=True)},
        sample=sample,
    )


def _province(conn: psycopg.Connection, month: date, year_start: date | None) -> Province:
    params = {"month": month}
    counts = one_row(conn.execute(query("province"), params))
    rectification, wrong_exit, eliminated, relapsed = one_row(
        conn.execute(query("province_scorecard"), params)
    )
    income = one_row(conn.execute(query("province_income"), params))[0]
    year_before = month.replace(year=month.year - 1)
    income_before = one_row(conn.execute(query("province_income"), {"month": year_before}))[0]
    income_start = (one_row(conn.execute(query("province_income"), {"month": year_start}))[0]
                    if year_start else None)
    open_total = one_row(conn.execute(query("open_problems"), params))[0]
    rates = {
        column: _float(value)
        for (column, _, _), value in zip(RATES, [*counts[3:9], rectification], strict=True)
    }
    return Province(
        households=int(counts[0]), persons=int(counts[1]),
        missed_identifications=int(counts[2]), open_problems=int(open_total or 0), rates=rates,
        eliminated_households=int(eliminated), relapsed_eliminated_households=int(relapsed),
        wrong_exit_rate=_float(wrong_exit), income_median=_float(income),
        income_median_year_before=_float(income_before), income_year_start=_float(income_start),
    )


def _feeds(conn: psycopg.Connection, month: date) -> tuple[tuple[FeedColumn, ...], list[FeedLine]]:
    """The feed lines of every published month, with the known columns this publish has."""
    present = {r[0] for r in conn.execute(query("feed_columns")).fetchall()}
    if not present:
        return (), []
    columns = tuple(c for c in FEED_COLUMNS if c.column in present)
    names = ", ".join(c.column for c in columns) or "null"
    rows = conn.execute(query("feeds").format(columns=names), {"month": month}).fetchall()
    lines = [
        FeedLine(r[0], r[1], r[2] or "",
                 {c.column: v for c, v in zip(columns, r[3:], strict=False)})
        for r in rows
    ]
    return columns, lines


def _optional(conn: psycopg.Connection, sql: str, params: dict) -> list[tuple]:
    """Rows of a mart that older publishes may not have yet."""
    try:
        with conn.transaction():
            return conn.execute(sql, params).fetchall()
    except psycopg.errors.UndefinedTable:
        return []


def _state(comment: str | None) -> dict:
    try:
        state = json.loads(comment) if comment else {}
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def _growth(value: float | None, base: float | None) -> float | None:
    return None if value is None or not base else value / base - 1


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
