"""Turn a feed file's rows into COPY text lines, fast.

Normalising in Python is the loader's bottleneck: ``psql \\copy`` moves 0.7-0.9 M rows/s with
no checks at all, while a first version calling a Python function per cell managed 125 k rows/s
(1 M-row education file). So a row goes one of two ways:

- the *fast* path, a function generated for the file's column layout (``fast_source``): C-level
  ``dict`` lookups on caches of earlier results for dates, enums, booleans, codes and small
  numbers; for ids a check character from three cached partial sums (a hit also proves the
  birth date); for amounts a regex; for text ``strip``; then one f-string builds the line. It
  only accepts what it can prove valid, and raises on anything else;
- the *slow* path, the rules of ``fangpin.feeds.normalise`` cell by cell, which decides every row
  the fast path does not, gives the quarantine reason and detail, and fills the caches.

Both produce PostgreSQL COPY text format with ``null ''`` (``COPY_NULL``): an empty value is
null - no rule ever returns an empty string, a text cell that is empty after trimming being
empty, not '' - and backslash escapes. A test checks that the two paths agree.
"""

from __future__ import annotations

import calendar
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

import numpy as np

from fangpin.feeds import normalise as rules
from fangpin.feeds.contracts import Column, Feed, Kind
from fangpin.feeds.normalise import Invalid

NULL = ""
#: The COPY option the loader's COPY of normalised lines needs: an empty value is null. The
#: bulk path then passes an empty cell as it is, with no pass over the bytes to write ``\N``.
COPY_NULL = "null ''"
_CACHE_LIMIT = 200_000  # per column: distinct valid values remembered (memory stays bounded)

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_escape(text: str) -> str:
    """A value in PostgreSQL COPY text format (backslash, tab, newline, CR escaped)."""
    return text.translate(_COPY_ESCAPES)


class RowInvalid(Exception):
    """A row breaks at least one value rule: the first problem's reason, all problems' detail."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class _Miss(Exception):
    """The fast path does not know this cell; the slow path decides."""


# --------------------------------------------------------------------------- id fast path

_ID_PARTS: tuple[dict[str, int], dict[str, int], dict[str, int]] | None = None


def _id_parts() -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Partial MOD 11-2 sums of an id's three parts: region (filled as valid ids are seen),
    birth date (every real date from 1900 to today, so a hit also proves the date) and
    sequence (000-999). Their sum mod 11 picks the check character.

    Built once per process from per-digit sums of year, month and day (no ``strftime`` and no
    per-date digit loop): it was 0.1-0.4 s of every fresh load worker's time.
    """
    global _ID_PARTS
    if _ID_PARTS is None:
        w = [pow(2, 17 - i, 11) for i in range(17)]

        def weigh(text: str, first: int) -> int:
            return sum(w[first + i] * (ord(ch) - 48) for i, ch in enumerate(text))

        births: dict[str, int] = {}
        today = date.today()
        for year in range(1900, today.year + 1):
            y = f"{year:04d}"
            y_sum = weigh(y, 6)
            for month in range(1, 13):
                m = f"{month:02d}"
                ym, ym_sum = y + m, y_sum + weigh(m, 10)
                for day in range(1, calendar.monthrange(year, month)[1] + 1):
                    if date(year, month, day) > today:
                        break
                    d = _DAYS[day]
                    births[ym + d] = ym_sum + _DAY_SUMS[day]
        sequences = {f"{n:03d}": weigh(f"{n:03d}", 14) for n in range(1000)}
        _ID_PARTS = ({}, births, sequences)
    return _ID_PARTS


_DAYS = [f"{d:02d}" for d in range(32)]
_DAY_SUMS = [pow(2, 17 - 12, 11) * (d // 10) + pow(2, 17 - 13, 11) * (d % 10) for d in range(32)]


# --------------------------------------------------------------------------- columns

_AMOUNT_PATTERN = r"[0-9]{1,12}(?:\.[0-9]{1,2})?"  # plain yuan: exactly what numeric(14,2) reads
_AMOUNT_FAST = re.compile(_AMOUNT_PATTERN).fullmatch

#: Kinds with few distinct values: the fast path is a cache of earlier results.
_CACHED_KINDS = frozenset(
    {Kind.DATE, Kind.BOOL, Kind.COUNTY, Kind.VILLAGE, Kind.ENUM, Kind.LIST, Kind.YEAR, Kind.INTEGER}
)


def _value_rule(col: Column, counties: frozenset[str] | None) -> Callable[[Any], str]:
    """The rule of a non-empty cell of ``col``, as COPY text."""
    kind = col.kind
    if kind is Kind.ID:
        regions = _id_parts()[0]

        def id_rule(value: Any) -> str:
            text = rules.normalise_id(value)
            region = text[:6]
            if region not in regions and len(regions) < _CACHE_LIMIT:
                regions[region] = sum(
                    pow(2, 17 - i, 11) * int(ch) for i, ch in enumerate(region)
                )
            return text

        return id_rule
    if kind is Kind.TEXT:
        limit = col.max_length
        return lambda v: copy_escape(rules.normalise_text(v, limit))
    if kind is Kind.DATE:
        return lambda v: rules.parse_date(v).isoformat()
    if kind is Kind.BOOL:
        return lambda v: "t" if rules.parse_bool(v) else "f"
    if kind is Kind.AMOUNT:
        return lambda v: rules.amount_text(rules.parse_amount(v))
    if kind is Kind.COUNTY:
        return lambda v: rules.normalise_county(v, counties)
    if kind is Kind.VILLAGE:
        return lambda v: rules.normalise_village(v, counties)
    if kind is Kind.ENUM:
        lookup = rules.enum_lookup(col.codes)
        return lambda v: rules.normalise_enum(v, lookup)
    if kind is Kind.LIST:
        lookup = rules.enum_lookup(col.codes)
        order = [c.code for c in col.codes]
        return lambda v: rules.normalise_list(v, lookup, order) or NULL
    if kind is Kind.YEAR:
        return lambda v: str(rules.parse_year(v))
    if kind is Kind.INTEGER:
        low, high = col.min_value, col.max_value
        return lambda v: str(rules.parse_integer(v, low, high))
    raise ValueError(f"no rule for kind {kind}")


class ColumnRule:
    """The slow (exact) rule of one column as COPY text, emptiness and required-ness included,
    and for cached kinds the cache it fills, which the fast path reads."""

    def __init__(self, col: Column, counties: frozenset[str] | None = None) -> None:
        self.column = col
        self.empty = col.default if col.default is not None else NULL
        self._rule = _value_rule(col, counties)
        self.cache: dict[Any, str] | None = None
        if col.kind in _CACHED_KINDS:
            self.cache = {}
            if not col.required:
                self.cache[""] = self.empty
                self.cache[None] = self.empty

    def __call__(self, value: Any) -> str:
        col = self.column
        if rules.is_empty(value):
            if col.required:
                raise Invalid("required_missing", f"{col.name} ({col.chinese}) is empty")
            return self.empty
        try:
            result = self._rule(value)
        except Invalid as exc:
            raise Invalid(exc.reason, f"{col.name}: {exc.detail}") from None
        cache = self.cache
        if cache is not None and len(cache) < _CACHE_LIMIT:
            try:
                cache[value] = result
            except TypeError:  # unhashable: never from csv or openpyxl, but be safe
                pass
        return result


#: A text cell the block path may pass through untouched: no space at either end (what
#: ``strip`` would remove: ``\s`` and ``str.isspace`` are the same set), nothing COPY must
#: escape, no quote (the caller sends quoted lines to the csv module anyway).
_TEXT_CELL = r'[^\s,"\\][^,"\\\t]*(?<!\s)'


def _text_cell(col: Column) -> str:
    """The regex of a text cell of ``col``: ``_TEXT_CELL``, at most ``max_length`` long."""
    if col.max_length is None:
        return _TEXT_CELL
    return f"(?![^,]{{{int(col.max_length) + 1}}}){_TEXT_CELL}"


def _cell_pattern(col: Column) -> str:
    """The regex group of one cell on the block path (see ``RowNormaliser._compile_block``)."""
    if col.kind is Kind.ID:  # an empty optional id is None: the block function checks it
        return "([0-9]{17}[0-9X])" if col.required else "([0-9]{17}[0-9X])?"
    if col.kind is Kind.TEXT:
        body = _text_cell(col)
    elif col.kind is Kind.AMOUNT:
        body = _AMOUNT_PATTERN
    else:  # cached kinds: any cell, the cache decides
        return "([^,]*)"
    return f"({body})" if col.required else f"((?:{body})?)"  # empty: "" or EMPTY


# --------------------------------------------------------------------------- bulk path

#: ISO dates the exact rule returns unchanged: real days of 1900-2099 (2100 is left to the
#: exact path). 29 February only in leap years: 1900 is not one, 2000 is.
_ISO_DATE = (
    r"(?:(?:19|20)[0-9]{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    r"|(?:19(?:0[48]|[2468][048]|[13579][26])|20(?:[02468][048]|[13579][26]))-02-29)"
)
_BULK_KINDS = frozenset(
    {Kind.ID, Kind.TEXT, Kind.AMOUNT, Kind.ENUM, Kind.DATE, Kind.YEAR, Kind.INTEGER, Kind.BOOL,
     Kind.COUNTY, Kind.VILLAGE}
)
#: Booleans both ``normalise.parse_bool`` and PostgreSQL's ``boolin`` read, to the same value:
#: the bulk path passes them as they are (``true``), where the exact path writes ``t``.
_BOOL_CELL = "(?i:true|false|yes|no|y|n)|1|0"
_SMALL_RANGE = 1000  # integers with at most this many allowed values get an alternation
_COMMA_TO_TAB = bytes.maketrans(b",", b"\t")
_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_ID_CHECKS = np.frombuffer(b"10X98765432", dtype=np.uint8)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _canonical_cell(col: Column, counties: frozenset[str] | None = None) -> str | None:
    """The regex of a cell the exact rule would return unchanged - or, for booleans, in a
    spelling COPY reads as the same value (None: no bulk path)."""
    if col.kind is Kind.ID:
        return "[0-9]{17}[0-9X]" if col.required else None
    if col.kind is Kind.TEXT:
        body = _text_cell(col)
    elif col.kind is Kind.AMOUNT:
        body = _AMOUNT_PATTERN
    elif col.kind is Kind.ENUM:
        codes = [c.code for c in col.codes]
        if any(unicodedata.normalize("NFKC", c).strip().casefold() != c for c in codes):
            return None
        body = "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True))
    elif col.kind is Kind.DATE:
        body = _ISO_DATE
    elif col.kind is Kind.YEAR:
        body = "19[0-9]{2}|20[0-9]{2}|2100"  # YEAR_RANGE, no leading zero
    elif col.kind is Kind.INTEGER:
        if col.min_value is None or col.max_value is None:
            return None
        values = range(max(col.min_value, 0), col.max_value + 1)
        if col.min_value < 0 or len(values) > _SMALL_RANGE:
            return None
        body = "|".join(str(v) for v in reversed(values))
    elif col.kind is Kind.BOOL:
        body = _BOOL_CELL
    elif col.kind in (Kind.COUNTY, Kind.VILLAGE):
        known = sorted(rules.province_counties() if counties is None else counties)
        body = "|".join(re.escape(c) for c in known if re.fullmatch("[0-9]{6}", c))
        if not body:
            return None
        body = f"(?:{body})" + ("[0-9]{6}" if col.kind is Kind.VILLAGE else "")
    else:
        return None
    return f"(?:{body})" if col.required else f"(?:{body})?"


def ids_valid(data: bytes, count: int, width: int, columns: Sequence[int]) -> bool:
    """Whether the id cells (columns ``columns``) of ``count`` lines of ``width`` cells
    (``data``, UTF-8, every line ending in a newline, shape already proven: 18 characters,
    17 digits and a digit or X) all pass MOD 11-2 and hold a real birth date from 1900-01-01
    to today, as ``normalise.normalise_id`` requires."""
    raw = np.frombuffer(data, dtype=np.uint8)
    if any(columns):
        commas = np.flatnonzero(raw == ord(",")).reshape(count, width - 1)
    if 0 in columns:
        ends = np.flatnonzero(raw == ord("\n"))
        line_starts = np.concatenate(([0], ends[:-1] + 1))
    today = date.today()
    latest = today.year * 10000 + today.month * 100 + today.day
    for column in columns:
        starts = line_starts if column == 0 else commas[:, column - 1] + 1
        cells = raw[starts[:, None] + np.arange(18)]
        digits = cells[:, :17].astype(np.int64) - ord("0")
        if not (_ID_CHECKS[(digits @ _ID_WEIGHTS) % 11] == cells[:, 17]).all():
            return False
        year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
        month = digits[:, 10] * 10 + digits[:, 11]
        day = digits[:, 12] * 10 + digits[:, 13]
        if not ((month >= 1) & (month <= 12)).all():
            return False
        leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
        last = _MONTH_DAYS[month] + ((month == 2) & leap)
        ymd = year * 10000 + month * 100 + day
        if not ((day >= 1) & (day <= last) & (year >= 1900) & (ymd <= latest)).all():
            return False
    return True


class _Bulk:
    """The bulk path of one layout (see ``RowNormaliser.bulk``)."""

    def __init__(
        self, pattern: str, width: int, ids: list[int], prefix: str, suffix: str,
        key: int | None = None,
    ) -> None:
        self.match = re.compile(f"(?:{pattern}\\n)*+").fullmatch
        self.width = width
        self.ids = ids
        # The unique key's cells (already proven canonical, so each is its key as ``key``
        # finds it in a COPY line), in line order.
        self.keys = None if key is None else re.compile(
            f"^(?:[^,\\n]*,){{{key}}}([^,\\n]*)", re.MULTILINE
        ).findall
        line = prefix.replace("%", "%%") + "%d\t%s" + suffix.replace("%", "%%") + "\n"
        self.line = line.encode("utf-8")

    @classmethod
    def for_layout(cls, norm: RowNormaliser) -> _Bulk | None:
        if norm._conditions or norm.indexes != list(range(norm.width)):
            return None
        cells = []
        for col in norm.columns:
            cell = _canonical_cell(col, norm.counties) if col.kind in _BULK_KINDS else None
            if cell is None or (not col.required and col.default is not None):
                return None
            cells.append(cell)
        ids = [i for i, col in enumerate(norm.columns) if col.kind is Kind.ID]
        return cls(
            ",".join(cells), norm.width, ids, norm.prefix, norm.absent_suffix, norm.key_index,
        )

    def __call__(
        self, text: str, first: int, count: int, seen: dict[str, int] | None = None, tag: int = 0,
        data: bytes | None = None,
    ) -> bytes | None:
        if not self.match(text):
            return None
        if data is None:
            data = text.encode("utf-8")
        if self.ids and not ids_valid(data, count, self.width, self.ids):
            return None
        if self.keys is not None:
            # Every key new (in the run and in ``seen``), or the rows decide one by one, in
            # order, which occurrence is the first.
            keys = self.keys(text)
            if seen is None or len(set(keys)) != count or not seen.keys().isdisjoint(keys):
                return None
            seen.update(zip(keys, range(tag | first, (tag | first) + count), strict=True))
        # Empty cells stay empty: the COPY reads them as null (``COPY_NULL``). One ``%`` per
        # run: the line numbers and lines interleaved into one tuple, the line format repeated.
        pieces = data.translate(_COMMA_TO_TAB).split(b"\n")
        pieces.pop()
        args: list[Any] = [None] * (2 * count)
        args[0::2] = range(first, first + count)
        args[1::2] = pieces
        return (self.line * count) % tuple(args)


# --------------------------------------------------------------------------- rows


class RowNormaliser:
    """Normalises the rows of one file of one feed into COPY text lines.

    ``positions`` pairs each contract column found in the header with its index in the row;
    ``absent`` lists the contract columns the file lacks (null, or their default). A line is
    ``prefix``, the line number, the values in ``copy_columns`` order (present columns in
    file order, then the absent ones) and a newline.

    ``fast(row, line_no)`` is generated Python source specialised to this file's columns (see
    ``fast_source``): C-level dict lookups, string methods and one f-string, no per-cell calls.
    It raises on anything unusual; ``slow(row, line_no)`` then decides the row exactly, raising
    ``RowInvalid``. ``line(row, line_no)`` is the two together.

    ``block(lines, i, first, out, seen, tag)`` is the fast path for raw CSV lines (see
    ``_compile_block``), used by the loader for quote-free runs of a CSV file of ``width``
    columns; ``None`` where the layout has conditional requirements to enforce. ``bulk`` goes
    further for a whole run of lines that are all already in canonical form.
    """

    def __init__(
        self,
        contract: Feed,
        positions: Sequence[tuple[int, Column]],
        absent: Sequence[Column] = (),
        counties: frozenset[str] | None = None,
        prefix: str = "",
        width: int | None = None,
    ) -> None:
        self.contract = contract
        self.columns = [col for _, col in positions]
        self.indexes = [i for i, _ in positions]
        self.absent = list(absent)
        self.prefix = prefix
        self.rules = [ColumnRule(col, counties) for col in self.columns]
        self.counties = counties
        self.copy_columns = [c.name for c in self.columns] + [c.name for c in self.absent]
        self.absent_suffix = "".join(
            "\t" + (c.default if c.default is not None else NULL) for c in self.absent
        )
        unique = contract.unique_column
        self.key_index = self.columns.index(unique) if unique in self.columns else None
        self._conditions = self._enforced_conditions()
        self.fast_source, self.fast = self._compile_fast()
        self.width = width if width is not None else max(self.indexes, default=-1) + 1
        self.block_source, self.block = self._compile_block()
        self._bulk = _Bulk.for_layout(self)

    # -- the exact path

    def values(self, row: Sequence[Any]) -> list[str]:
        """The row's COPY text values in ``copy_columns`` order, absent columns excluded."""
        width = len(row)
        values: list[str] = []
        problems: list[Invalid] = []
        for index, rule in zip(self.indexes, self.rules, strict=True):
            try:
                values.append(rule(row[index] if index < width else None))
            except Invalid as exc:
                problems.append(exc)
                values.append(NULL)
        if problems:
            raise RowInvalid(problems[0].reason, "; ".join(p.detail for p in problems))
        self.check_conditions(values)
        return values

    def slow(self, row: Sequence[Any], line_no: int) -> str:
        return f"{self.prefix}{line_no}\t{chr(9).join(self.values(row))}{self.absent_suffix}\n"

    def line(self, row: Sequence[Any], line_no: int) -> str:
        try:
            return self.fast(row, line_no)
        except Exception:
            return self.slow(row, line_no)

    def key(self, line: str) -> str | None:
        """The unique key's value in a line made by ``line``/``fast``/``slow``."""
        if self.key_index is None:
            return None
        skip = self.prefix.count("\t") + 1 + self.key_index
        return line.split("\t", skip + 1)[skip]

    def _enforced_conditions(self) -> list[tuple[Column, int | None, int, frozenset[str]]]:
        where = {c.name: i for i, c in enumerate(self.columns)}
        found = []
        for col in self.contract.columns:
            cond = col.required_if
            if cond is None or not cond.quarantine or cond.column not in where:
                continue
            found.append((col, where.get(col.name), where[cond.column], frozenset(cond.values)))
        return found

    def check_conditions(self, values: Sequence[str]) -> None:
        """Conditional requirements the contract enforces (``When(quarantine=True)``)."""
        for col, target, condition, when in self._conditions:
            if values[condition] in when and (target is None or values[target] == NULL):
                cond = col.required_if
                assert cond is not None
                raise RowInvalid(
                    "required_missing",
                    f"{col.name} ({col.chinese}) is empty although {cond.column} is "
                    f"{values[condition]}",
                )

    # -- the fast path

    def _compile_fast(self) -> tuple[str, Callable[[Sequence[Any], int], str]]:
        """Generate ``fast(row, line_no)`` for this layout.

        Every branch either proves the cell is valid (and yields exactly what the exact rule
        would) or raises; the caller then takes the exact path. Kept as source text so that a
        test or a curious reader can print it.
        """
        env: dict[str, Any] = {"MISS": _Miss, "AMOUNT": _AMOUNT_FAST, "PREFIX": self.prefix}
        env["REGIONS"], env["BIRTHS"], env["SEQUENCES"] = _id_parts()
        env["CHECK"] = "10X98765432"
        env["SUFFIX"] = self.absent_suffix + "\n"
        names = [f"c{i}" for i in range(len(self.columns))]
        body = [f"    {', '.join(names)}, = GET(row)"]
        env["GET"] = self._getter()
        texts = []
        parts = []
        for i, (col, rule) in enumerate(zip(self.columns, self.rules, strict=True)):
            c = names[i]
            env[f"EMPTY{i}"] = rule.empty
            if col.kind is Kind.ID:
                body.append(
                    f"    if len({c}) != 18 or CHECK[(REGIONS[{c}[:6]] + BIRTHS[{c}[6:14]]"
                    f" + SEQUENCES[{c}[14:17]]) % 11] != {c}[17]: raise MISS"
                )
                parts.append(c)
            elif col.kind is Kind.TEXT:
                body.append(f"    v{i} = {c}.strip()")
                if col.required:
                    body.append(f"    if not v{i}: raise MISS")
                else:
                    body.append(f"    if not v{i}: v{i} = EMPTY{i}")
                if col.max_length is not None:
                    body.append(f"    if len(v{i}) > {int(col.max_length)}: raise MISS")
                texts.append(c)
                parts.append(f"v{i}")
            elif col.kind is Kind.AMOUNT:
                if col.required:
                    body.append(f"    if not AMOUNT({c}): raise MISS")
                else:
                    body.append(f"    if not AMOUNT({c}):")
                    body.append(f"        if {c}: raise MISS")
                    body.append(f"        {c} = EMPTY{i}")
                parts.append(c)
            else:
                assert rule.cache is not None
                env[f"CACHE{i}"] = rule.cache
                parts.append(f"CACHE{i}[{c}]")
        if texts:
            body.append(f"    probe = {' + '.join(texts)}")
            body.append(
                '    if "\\\\" in probe or "\\t" in probe or "\\n" in probe or "\\r" in probe:'
                " raise MISS"
            )
        line = "\\t".join("{" + p + "}" for p in parts)
        body.append(f'    return f"{{PREFIX}}{{line_no}}\\t{line}{{SUFFIX}}"')
        if self._conditions:
            env["CHECK_CONDITIONS"] = self.check_conditions
            env["KEEP"] = self.prefix.count("\t") + 1
            body[-1] = body[-1].replace("    return ", "    out = ")
            body.append("    CHECK_CONDITIONS(out[:-len(SUFFIX)].split('\\t')[KEEP:])")
            body.append("    return out")
        source = "def fast(row, line_no):\n" + "\n".join(body) + "\n"
        exec(compile(source, f"<fast row normaliser {self.contract.name}>", "exec"), env)
        return source, env["fast"]

    @property
    def has_bulk(self) -> bool:
        """Whether this layout has a bulk path at all."""
        return self._bulk is not None

    def bulk(
        self, text: str, first: int, count: int, seen: dict[str, int] | None = None, tag: int = 0,
        data: bytes | None = None,
    ) -> bytes | None:
        """The COPY text (UTF-8) of ``count`` raw CSV lines (``text``, each line ending in
        ``\\n``, the first being line ``first``) when every one of them is provably valid and
        already canonical - else ``None``, and the caller takes them one by one.

        Why: even the generated ``block`` loop costs ~3 us a row in bytecode; a clean file
        needs none of it. Canonical means the exact rules would return every cell unchanged:
        ids of 17 digits and a check character (checked for the whole run at once with numpy:
        MOD 11-2 and a real birth date from 1900 to today), text with no surrounding space and
        nothing to escape, English enum codes, ISO dates of real days from 1900 to 2099,
        plain amounts, years, small-range integers without leading zeros, county and village
        codes of the province; booleans in a spelling PostgreSQL reads as the same value
        (``true``: the exact path writes ``t``). One regex proves the shape of the whole run; the
        COPY text is then the same cells with commas turned into tabs, the line prefix and
        number in front, and empty cells left empty (null: ``COPY_NULL``). Only layouts whose
        every column is of those kinds, with no conditions or defaults, have a bulk path. With a
        unique key, ``seen`` and ``tag`` are those of ``block``: the run goes in bulk only if
        none of its keys is in ``seen`` or twice in the run, and its keys are then added to
        ``seen``.
        ``data`` is ``text`` as UTF-8 when the caller has it (the reader read the file as
        bytes), saving the encoding.
        """
        bulk = self._bulk
        if bulk is None:
            return None
        return bulk(text, first, count, seen, tag, data)

    # -- the block path: raw CSV lines, no csv module, no per-row call

    def _compile_block(self) -> tuple[str, Callable[..., int] | None]:
        """Generate ``block(lines, i, first, out, seen, tag)`` for raw, quote-free CSV lines.

        Why: on a clean file the ``csv`` module, the per-row ``fast`` call and the loop around
        it cost more than the checks themselves. One regex per line (``line_pattern``) proves
        the shape of every cell at C speed - an id is 17 digits and a check character, text has
        no surrounding space and nothing COPY must escape, an amount is plain digits - and the
        loop then does what a regex cannot: the id's check character and birth date, and the
        cache lookups of dates, enums and codes (a hit is a value the exact rules accepted).

        ``lines[i:]`` are records without their line ending; ``lines[k]`` is line
        ``first + k`` of the file. Accepted lines are appended to ``out`` as COPY text; the
        function returns the index of the first line it does not accept (``len(lines)`` when
        it accepts them all), and the caller decides that line through ``fast``/``slow``
        before calling again from the next one, so rows are still decided in file order.
        With a unique key, ``seen`` maps keys already loaded to ``tag | line``; a key already
        there stops the block so that the caller reports the duplicate.
        """
        if self._conditions:
            return "", None
        env: dict[str, Any] = {"PREFIX": self.prefix, "SUFFIX": self.absent_suffix + "\n"}
        env["REGIONS"], env["BIRTHS"], env["SEQUENCES"] = _id_parts()
        env["CHECK"] = "10X98765432"
        env["MATCH"] = re.compile(self.line_pattern()).fullmatch
        names = [f"c{i}" for i in range(len(self.columns))]
        body: list[str] = []
        parts: list[str] = []
        for i, (col, rule) in enumerate(zip(self.columns, self.rules, strict=True)):
            c = names[i]
            env[f"EMPTY{i}"] = rule.empty
            if col.kind is Kind.ID:
                check = (
                    f"CHECK[(REGIONS[{c}[:6]] + BIRTHS[{c}[6:14]] + SEQUENCES[{c}[14:17]])"
                    f" % 11] != {c}[17]"
                )
                if col.required:
                    body.append(f"            if {check}: return i")
                else:
                    body.append(f"            if {c} is None: {c} = EMPTY{i}")
                    body.append(f"            elif {check}: return i")
                parts.append(c)
            elif col.kind in (Kind.TEXT, Kind.AMOUNT):
                parts.append(c if col.required else f"{c} or EMPTY{i}")
            else:
                assert rule.cache is not None
                env[f"CACHE{i}"] = rule.cache
                parts.append(f"CACHE{i}[{c}]")
        line = "\\t".join("{" + p + "}" for p in parts)
        keep = ["            append(line)"]
        if self.key_index is not None:  # after every lookup that may miss: seen is final
            body.append(f"            key = {parts[self.key_index]}")
            line = "\\t".join("{" + p + "}" for p in [*parts[:self.key_index], "key",
                                                     *parts[self.key_index + 1:]])
            keep = [
                "            if key in seen: return i",
                "            seen[key] = tag | (first + i)",
                *keep,
            ]
        source = "\n".join(
            [
                "def block(lines, i, first, out, seen, tag):",
                "    append = out.append",
                "    try:",
                "        for i in range(i, len(lines)):",
                f"            {', '.join(names)}, = MATCH(lines[i]).groups()",
                *body,
                f'            line = f"{{PREFIX}}{{first + i}}\\t{line}{{SUFFIX}}"',
                *keep,
                "    except (AttributeError, KeyError, IndexError):",
                "        return i",
                "    return len(lines)",
                "",
            ]
        )
        exec(compile(source, f"<block normaliser {self.contract.name}>", "exec"), env)
        return source, env["block"]

    def line_pattern(self) -> str:
        """A regex for one raw CSV line of ``width`` quote-free cells whose shape this layout's
        block path can prove: one group per contract column, in file order."""
        by_index = dict(zip(self.indexes, self.columns, strict=True))
        cells = []
        for index in range(self.width):
            col = by_index.get(index)
            cells.append("[^,]*" if col is None else _cell_pattern(col))
        return ",".join(cells)

    def _getter(self) -> Callable[[Sequence[Any]], Sequence[Any]]:
        if len(self.indexes) == 1:
            only = self.indexes[0]
            return lambda row: (row[only],)
        return itemgetter(*self.indexes)


def row_received(header: Sequence[str], row: Sequence[Any]) -> str:
    """The row as received, ``{header: cell text}``, as JSON for ``ops.quarantine``.

    Repeated headers get `` (2)``, `` (3)``; cells beyond the header ``_extra_<n>``.
    """
    received: dict[str, str] = {}
    for i, value in enumerate(row):
        name = str(header[i]) if i < len(header) else f"_extra_{i - len(header) + 1}"
        key, n = name, 1
        while key in received:
            n += 1
            key = f"{name} ({n})"
        received[key] = rules.cell_text(value)
    return json.dumps(received, ensure_ascii=False)
