"""Value rules of docs/contract/FEEDS.md: one function per kind, each returning the normalised
value or raising ``Invalid`` with the quarantine reason.

These are the readable, authoritative rules. ``fangpin.feeds.rows`` wraps them in cached,
precompiled fast paths for the loader's hot loop, but every value it accepts is one these
functions accept, and every rejection comes from here (with its reason and detail).

Cells arrive as text (CSV) or as ``str``/``int``/``float``/``bool``/``datetime`` (XLSX). Empty
cells are the caller's business (required or not); these functions see non-empty values.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from fangpin.feeds.contracts import Code

#: Every quarantine reason the loader writes to ``ops.quarantine.reason``.
REASONS: tuple[str, ...] = (
    "id_number_invalid",
    "amount_negative",
    "amount_invalid",
    "date_invalid",
    "enum_invalid",
    "county_unknown",
    "village_invalid",
    "bool_invalid",
    "required_missing",
    "integer_invalid",
    "text_too_long",
    "duplicate_key",
    # Set aside by the reader, not by a value rule (fangpin.feeds.read):
    "unbalanced_quote",
    "field_too_long",
    "formula_without_value",
    "formula_error",
)


class Invalid(ValueError):
    """A value breaks its rule: ``reason`` is a code of ``REASONS``, ``detail`` says why."""

    def __init__(self, reason: str, detail: str) -> None:
        assert reason in REASONS, reason
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# --------------------------------------------------------------------------- helpers


def cell_text(value: object) -> str:
    """A cell as text, the way ``ops.quarantine.row_received`` shows it.

    XLSX numbers keep Python's repr (``4.21e+17`` shows the mangled id as it was stored);
    whole floats lose their ``.0`` and midnight datetimes their time, as a spreadsheet shows
    them.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _nfkc(value: object) -> str:
    return unicodedata.normalize("NFKC", cell_text(value)).strip()


def _whole_number(value: object) -> int | None:
    """An XLSX number that is a whole number, as ``int``; anything else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


# --------------------------------------------------------------------------- id numbers

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_ID_CHECK = "10X98765432"
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ID15 = re.compile(r"[0-9]{15}")
_SCIENTIFIC = re.compile(r"[0-9.]+E[+-]?[0-9]+")
_EARLIEST_BIRTH = date(1900, 1, 1)


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of a resident id number."""
    total = sum(w * (ord(ch) - 48) for w, ch in zip(_ID_WEIGHTS, first17, strict=True))
    return _ID_CHECK[total % 11]


def normalise_id(value: object) -> str:
    """An 18-character id number with upper-case X, or ``Invalid('id_number_invalid')``.

    Trims, applies NFKC (full-width digits and ``ｘ``), upper-cases x, converts a 15-digit
    first-generation number (``19`` inserted before the two-digit year, check computed), and
    insists on a valid check character and a real birth date. A number cell means a
    spreadsheet stored the id as a float and dropped digits, so it is never accepted.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise Invalid(
            "id_number_invalid",
            f"{cell_text(value)!r} was stored as a number by a spreadsheet; its digits are lost",
        )
    text = _nfkc(value).upper()
    if _SCIENTIFIC.fullmatch(text):
        raise Invalid(
            "id_number_invalid",
            f"{text!r} is in scientific notation: a spreadsheet has mangled the id number",
        )
    if _ID15.fullmatch(text):
        first17 = text[:6] + "19" + text[6:]
        text = first17 + id_check_char(first17)
    elif not _ID18.fullmatch(text):
        raise Invalid(
            "id_number_invalid",
            f"{cell_text(value)!r} is not 17 digits and a check character (or 15 digits)",
        )
    expected = id_check_char(text[:17])
    if text[17] != expected:
        raise Invalid(
            "id_number_invalid",
            f"{text!r} fails the MOD 11-2 check (check character {text[17]}, expected {expected})",
        )
    born = _birth_date(text)
    if born is None or not _EARLIEST_BIRTH <= born <= date.today():
        raise Invalid("id_number_invalid", f"{text!r} holds no valid birth date ({text[6:14]})")
    return text


def _birth_date(id_number: str) -> date | None:
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def birth_date_from_id(id_number: str) -> date:
    """Birth date from digits 7-14 of a normalised id, never a column (docs/contract/FEEDS.md)."""
    born = _birth_date(id_number)
    if born is None:
        raise ValueError(f"{id_number!r} holds no valid birth date")
    return born


def sex_from_id(id_number: str) -> str:
    """``'male'`` or ``'female'`` from digit 17 (odd is male), per GB 11643."""
    return "male" if int(id_number[16]) % 2 else "female"


# --------------------------------------------------------------------------- dates

_DATE_FORMS = (
    re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})"),
    re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})"),
    re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"),
    re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日"),
)
_DATE_RANGE = (date(1900, 1, 1), date(2100, 12, 31))


def parse_date(value: object) -> date:
    """``2021-12-10``, ``2021/12/10`` (also ``2021/1/5``), ``20211210``, ``2021年12月10日``
    (also ``2021年1月5日``), an XLSX date cell, or an XLSX number like 20211210.

    Other numbers (an Excel serial day count without a date format) are refused rather than
    guessed at.
    """
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    else:
        whole = _whole_number(value)
        if whole is None and not isinstance(value, str):
            raise Invalid("date_invalid", f"{cell_text(value)!r} is not a date")
        text = str(whole) if whole is not None else _nfkc(value)
        parsed: date | None = None
        for form in _DATE_FORMS:
            m = form.fullmatch(text)
            if m:
                try:
                    parsed = date(int(m[1]), int(m[2]), int(m[3]))
                except ValueError:
                    raise Invalid("date_invalid", f"{text!r} is not a real date") from None
                break
        if parsed is None:
            raise Invalid("date_invalid", f"{text!r} is not a date in an accepted form")
        found = parsed
    if not _DATE_RANGE[0] <= found <= _DATE_RANGE[1]:
        raise Invalid("date_invalid", f"{found.isoformat()} is outside 1900-2100")
    return found


# --------------------------------------------------------------------------- booleans

_BOOLS = {
    "是": True, "否": False, "y": True, "n": False, "yes": True, "no": False,
    "true": True, "false": False, "1": True, "0": False,
}


def parse_bool(value: object) -> bool:
    """是/否, Y/N, yes/no, true/false, 1/0 in any case; XLSX booleans and 1/0 numbers."""
    if isinstance(value, bool):
        return value
    whole = _whole_number(value)
    key = str(whole) if whole is not None else _nfkc(value).casefold()
    try:
        return _BOOLS[key]
    except KeyError:
        raise Invalid("bool_invalid", f"{cell_text(value)!r} is not yes/no") from None


# --------------------------------------------------------------------------- amounts

_AMOUNT = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_AMOUNT_LIMIT = Decimal(10) ** 12  # numeric(14,2)


def parse_amount(value: object) -> Decimal:
    """Yuan, ≥ 0: ``1234.5``, ``1,234.50``, ``¥1,234``, ``￥1234`` (NFKC makes it ``¥``).

    More than two decimals are kept here and rounded by ``numeric(14,2)`` (half away from
    zero). A sign other than ``-`` before or after the ``¥``, brackets, or exponents are not
    amounts.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            raise Invalid("amount_invalid", f"{cell_text(value)!r} is not an amount")
        body = None
    else:
        text = _nfkc(value)
        body = text
        negative = False
        for _ in range(2):  # "-¥5" and "¥-5" are both negative
            if body.startswith("¥"):
                body = body[1:].strip()
            if body.startswith("-"):
                negative = True
                body = body[1:].strip()
        if not _AMOUNT.fullmatch(body):
            raise Invalid("amount_invalid", f"{cell_text(value)!r} is not an amount in yuan")
        number = Decimal(body.replace(",", ""))
        if negative:
            number = -number
    if number < 0:
        raise Invalid("amount_negative", f"{cell_text(value)!r} is negative")
    if number >= _AMOUNT_LIMIT:
        raise Invalid("amount_invalid", f"{cell_text(value)!r} is too large for an amount")
    return abs(number)  # -0 is 0


def amount_text(number: Decimal) -> str:
    return format(number, "f")


# --------------------------------------------------------------------------- geography

def county_seed_path() -> Path:
    """The province's county list: the dbt seed, so that the loader and the marts agree on
    which codes are the province's."""
    from fangpin.config import dbt_project_dir

    seed = dbt_project_dir() / "seeds" / "shanxi_counties.csv"
    if not seed.exists():
        raise FileNotFoundError(f"county seed not found: {seed} (is FANGPIN_HOME right?)")
    return seed


@lru_cache(maxsize=1)
def province_counties() -> frozenset[str]:
    """The 6-digit codes of the province's county-level divisions (seed ``county_code``)."""
    with county_seed_path().open(encoding="utf-8-sig", newline="") as fh:
        return frozenset(row["county_code"].strip() for row in csv.DictReader(fh))


_COUNTY = re.compile(r"[0-9]{6}")
_VILLAGE = re.compile(r"[0-9]{12}")


def _code_text(value: object) -> str:
    whole = _whole_number(value)
    return str(whole) if whole is not None else _nfkc(value)


def normalise_county(value: object, counties: frozenset[str] | None = None) -> str:
    """A 6-digit county code of the province (``county_unknown`` otherwise)."""
    text = _code_text(value)
    known = province_counties() if counties is None else counties
    if not _COUNTY.fullmatch(text):
        raise Invalid("county_unknown", f"{cell_text(value)!r} is not a 6-digit county code")
    if text not in known:
        raise Invalid("county_unknown", f"{text} is not a county of the province")
    return text


def normalise_village(value: object, counties: frozenset[str] | None = None) -> str:
    """A 12-digit village code whose first 6 digits are a county of the province."""
    text = _code_text(value)
    known = province_counties() if counties is None else counties
    if not _VILLAGE.fullmatch(text):
        raise Invalid("village_invalid", f"{cell_text(value)!r} is not a 12-digit village code")
    if text[:6] not in known:
        raise Invalid("village_invalid", f"{text}: county {text[:6]} is not in the province")
    return text


# --------------------------------------------------------------------------- enums and lists


def enum_lookup(codes: Iterable[Code]) -> dict[str, str]:
    """Every accepted spelling (code or label, NFKC and case-folded) → the English code."""
    lookup: dict[str, str] = {}
    for code in codes:
        for spelling in (code.code, *code.labels):
            lookup[unicodedata.normalize("NFKC", spelling).strip().casefold()] = code.code
    return lookup


def normalise_enum(value: object, lookup: Mapping[str, str]) -> str:
    """The English code for a code or Chinese label (``enum_invalid`` otherwise)."""
    try:
        return lookup[_nfkc(value).casefold()]
    except KeyError:
        choices = ", ".join(sorted(set(lookup.values())))
        raise Invalid("enum_invalid", f"{cell_text(value)!r} is not one of {choices}") from None


_LIST_SEPARATORS = re.compile(r"[;、；]")


def normalise_list(value: object, lookup: Mapping[str, str], order: Iterable[str]) -> str | None:
    """Items separated by ``;``, ``；`` or ``、``, each an enum; English codes joined by ``;`` in
    declaration order, duplicates once, empty items ignored; nothing left → ``None``."""
    found = set()
    for item in _LIST_SEPARATORS.split(_nfkc(value)):
        if item.strip():
            found.add(normalise_enum(item, lookup))
    return ";".join(code for code in order if code in found) or None


# --------------------------------------------------------------------------- numbers and text

_INTEGER = re.compile(r"[0-9]+")


def parse_integer(value: object, low: int | None = None, high: int | None = None) -> int:
    """A whole number (text of digits, or a whole XLSX number) within [low, high]."""
    whole = _whole_number(value)
    if whole is None:
        text = _nfkc(value) if isinstance(value, str) else ""
        if not _INTEGER.fullmatch(text):
            raise Invalid("integer_invalid", f"{cell_text(value)!r} is not a whole number")
        whole = int(text)
    if (low is not None and whole < low) or (high is not None and whole > high):
        raise Invalid("integer_invalid", f"{whole} is outside {low}-{high}")
    return whole


YEAR_RANGE = (1900, 2100)


def parse_year(value: object) -> int:
    return parse_integer(value, *YEAR_RANGE)


def normalise_text(value: object, max_length: int | None = None) -> str:
    """Trimmed text; XLSX numbers and dates as a spreadsheet shows them (``cell_text``)."""
    text = cell_text(value).strip()
    if max_length is not None and len(text) > max_length:
        raise Invalid("text_too_long", f"{len(text)} characters, at most {max_length} allowed")
    return text
