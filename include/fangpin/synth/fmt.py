"""Canonical value formatting on whole columns.

Formatting numbers and dates one Python object at a time is the bottleneck of a
multi-million-row generator, so every formatter here is a gather from a prebuilt table of
strings (integers, yuan, ISO dates) into an object array; only out-of-table values fall
back to per-element formatting.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

EPOCH = dt.date(1970, 1, 1)
NODATE = -(10**6)  # sentinel of "no date" in day-number arrays
_DATE_BASE = (dt.date(1900, 1, 1) - EPOCH).days
_DATE_END = (dt.date(2100, 1, 1) - EPOCH).days
_INT_TABLE = 200_001
_YUAN_TABLE = 1_000_000  # cents: every amount below 10,000 yuan is a table lookup
_FRAC = np.array([f".{i:02d}" for i in range(100)], dtype=object)


def day_number(d: dt.date) -> int:
    """Days since 1970-01-01 (numpy's datetime64[D] integer)."""
    return (d - EPOCH).days


def from_day_number(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


@lru_cache(maxsize=1)
def _int_table() -> np.ndarray:
    return np.arange(_INT_TABLE).astype(str).astype(object)


@lru_cache(maxsize=1)
def _date_table() -> np.ndarray:
    days = np.arange(_DATE_BASE, _DATE_END).astype("datetime64[D]")
    return days.astype(str).astype(object)


def ints(values: np.ndarray) -> np.ndarray:
    """Decimal strings of non-negative integers."""
    v = np.asarray(values, dtype=np.int64)
    if v.size and (v.min() < 0 or v.max() >= _INT_TABLE):
        return v.astype(str).astype(object)
    return _int_table()[v]


@lru_cache(maxsize=1)
def _yuan_table() -> np.ndarray:
    whole = np.repeat(_int_table()[: _YUAN_TABLE // 100], 100)
    return whole + np.tile(_FRAC, _YUAN_TABLE // 100)


def yuan(cents: np.ndarray, blank: np.ndarray | None = None) -> np.ndarray:
    """Amounts in yuan with two decimals (``1234.50``) from integer cents; '' where blank."""
    c = np.asarray(cents, dtype=np.int64)
    small = (c >= 0) & (c < _YUAN_TABLE)
    if small.all():
        out = _yuan_table()[c]
    else:
        out = np.empty(len(c), dtype=object)
        out[small] = _yuan_table()[c[small]]
        big = c[~small]
        out[~small] = ints(big // 100) + _FRAC[big % 100]
    if blank is not None:
        out[blank] = ""
    return out


def dates(days: np.ndarray) -> np.ndarray:
    """ISO dates from day numbers; '' where the value is ``NODATE``."""
    d = np.asarray(days, dtype=np.int64)
    missing = d == NODATE
    idx = np.clip(d - _DATE_BASE, 0, _DATE_END - _DATE_BASE - 1)
    out = _date_table()[idx]
    if missing.any():
        out[missing] = ""
    return out


def pick(table: tuple[str, ...] | list[str], index: np.ndarray) -> np.ndarray:
    """Gather enum codes (or any small string table) by integer index."""
    return np.array(list(table), dtype=object)[np.asarray(index)]


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day arrays of day numbers (civil-from-days, integer arithmetic only)."""
    z = np.asarray(days, dtype=np.int64) + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day
