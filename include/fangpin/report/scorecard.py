"""The published scorecard as a plain-text table, for the terminal and ``make demo``."""

from __future__ import annotations

import unicodedata
from datetime import date

from fangpin.warehouse.connection import connect

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


def latest_month(url: str) -> date | None:
    with connect(url) as conn:
        row = conn.execute("select max(month) from marts.mart_county_scorecard").fetchone()
    return row[0] if row else None


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
    month = month or latest_month(url)
    if month is None:
        print("nothing published yet: marts.mart_county_scorecard is empty")
        return
    print(format_scorecard(scorecard_rows(url, month, limit), month))
