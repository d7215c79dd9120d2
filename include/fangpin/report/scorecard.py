"""The published scorecard as a plain-text table, for the terminal and ``make demo``."""

from __future__ import annotations

import unicodedata
from datetime import date

from fangpin.warehouse.connection import connect, one_row

_QUERY = """
select s.month, s.key_rank, s.county_code, d.county_name, d.city_name, s.households,
       s.score, s.education_rate, s.medical_rate, s.housing_rate, s.water_rate,
       s.employment_rate, s.identification_rate, s.rectification_rate,
       s.missed_identifications
from marts.mart_county_scorecard s
join marts.dim_county d using (county_code)
where s.month = %(month)s and s.key_rank is not null
order by s.key_rank, s.county_code
limit %(limit)s
"""

_HEAD = (
    "rank",
    "county",
    "name",
    "city",
    "hh",
    "score",
    "edu",
    "med",
    "house",
    "water",
    "job",
    "ident",
    "rect",
    "missed",
)


class MonthNotPublished(LookupError):
    """A month the user asked for is not in ``marts``; the message names what is."""


def published_months(url: str) -> list[date]:
    """The months ``marts`` holds (empty when nothing is published)."""
    with connect(url) as conn:
        if one_row(conn.execute("select to_regclass('marts.mart_county_scorecard')"))[0] is None:
            return []
        rows = conn.execute(
            "select distinct month from marts.mart_county_scorecard order by month"
        ).fetchall()
    return [r[0] for r in rows]


def require_published(url: str, month: date) -> None:
    """Raise :class:`MonthNotPublished` naming the published months when ``month`` is not."""
    months = published_months(url)
    if month in months:
        return
    if not months:
        raise MonthNotPublished(f"{month:%Y-%m} is not published: nothing is published yet")
    raise MonthNotPublished(
        f"{month:%Y-%m} is not published; the latest published month is {months[-1]:%Y-%m} "
        f"(published: {months[0]:%Y-%m}..{months[-1]:%Y-%m}, {len(months)} month(s))"
    )


def latest_month(url: str) -> date | None:
    months = published_months(url)
    return months[-1] if months else None


def scorecard_rows(url: str, month: date, limit: int = 40) -> list[tuple]:
    with connect(url) as conn:
        return conn.execute(_QUERY, {"month": month, "limit": limit}).fetchall()


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) or hasattr(value, "as_tuple"):
        number = float(value)  # type: ignore[arg-type]
        return f"{number:.1f}" if number > 1.0 else f"{number:.2f}"
    return str(value)


def _width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_scorecard(rows: list[tuple], month: date) -> str:
    lines = [f"Key assistance counties, scorecard for {month:%Y-%m} (marts.mart_county_scorecard)"]
    table = [_HEAD] + [tuple(_fmt(v) for v in row[1:]) for row in rows]
    widths = [max(_width(r[i]) for r in table) for i in range(len(_HEAD))]
    for row in table:
        lines.append("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def print_scorecard(url: str, month: date | None = None, limit: int = 40) -> None:
    if month is not None:
        require_published(url, month)
    month = month or latest_month(url)
    if month is None:
        print("nothing published yet: marts.mart_county_scorecard is empty")
        return
    print(format_scorecard(scorecard_rows(url, month, limit), month))
