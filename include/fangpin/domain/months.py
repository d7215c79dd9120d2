"""Months, the warehouse's unit of time: parsing ``YYYY-MM``, ranges ``A..B``, arithmetic.

Why one module: the CLI, the DAG, the landing-area reader, the synth and the report all name
months as text and step from one to the next; each once did it its own way. A month is always
the ``date`` of its first day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")
_FOLDER = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_month(text: str) -> date:
    """``2021-03`` or ``2021-03-01`` → the month's first day; ValueError on anything else."""
    match = _MONTH.match(text.strip())
    if not match:
        raise ValueError(f"month must look like YYYY-MM, got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"month must look like YYYY-MM, got {text!r}")
    return date(year, month, 1)


def folder_month(name: str) -> date | None:
    """The month of a ``YYYY-MM`` folder name (exactly that), or None."""
    m = _FOLDER.fullmatch(name)
    if m and 1 <= int(m[2]) <= 12:
        return date(int(m[1]), int(m[2]), 1)
    return None


def folder_name(month: date) -> str:
    """The landing folder of a month: ``2021-03``."""
    return f"{month:%Y-%m}"


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after (before, when negative) ``month``."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def next_month(month: date) -> date:
    """The first day of the month after ``month``'s."""
    return add_months(month, 1)


def previous_month(day: date | datetime) -> date:
    """The month before ``day``'s (the month a scheduled run on ``day`` processes)."""
    return add_months(date(day.year, day.month, 1), -1)


def months_between(earlier: date, later: date) -> int:
    """How many months ``later``'s month is after ``earlier``'s (negative when before)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def month_end(month: date) -> date:
    """The last day of ``month``'s month."""
    return next_month(month) - timedelta(days=1)


def month_span(first: date, last: date) -> list[date]:
    """The months from ``first``'s to ``last``'s, both included (empty when last is before)."""
    months, current = [], date(first.year, first.month, 1)
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def month_range(text: str) -> list[date]:
    """``2021-01..2021-12`` (or a single ``2021-03``) → the first days of those months.

    ValueError when a side is not a month or the range runs backwards.
    """
    start_text, _, end_text = text.partition("..")
    start = parse_month(start_text)
    end = parse_month(end_text) if end_text else start
    if end < start:
        raise ValueError(f"month range runs backwards: {text}")
    return month_span(start, end)
