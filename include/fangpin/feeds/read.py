"""Reading feed files: which encoding, which columns, then the rows one at a time.

Nothing here holds a whole file in memory. A CSV is hashed and its encoding validated in one
streaming pass (``inspect_file``; the loader lets the reader's decoding be that validation when
the first 64 KiB settle the encoding), then read again in blocks of lines: quote-free runs as
raw text for the loader's block and bulk paths, the rest through ``csv.reader``; an XLSX is
read by openpyxl in read-only mode. Problems that make a file unusable as a whole
(undecodable bytes, a missing required column, no header) raise ``FeedRejected`` with a
message that names the file, the feed and the column, because that message is what the
operator sees in Airflow.
"""

from __future__ import annotations

import codecs
import collections
import csv
import hashlib
import io
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from fangpin.feeds.contracts import Column, Feed, Kind, header_key

SNIFF_BYTES = 64 * 1024
_CHUNK = 1 << 20
BLOCK_CHARS = 1 << 20  # characters of CSV text per block of records
XLSX_BATCH = 5000  # rows per block of a worksheet
#: The longest cell a CSV record may hold, in characters; a longer one sets its record aside
#: as ``field_too_long`` (the biggest legitimate cell of any feed is a school name).
FIELD_LIMIT = 64 * 1024
#: Physical lines one CSV record may span before an open quote is taken as unbalanced: a
#: text cell with line breaks has a few, a quote left open swallows the rest of the file.
RECORD_LINE_LIMIT = 200
#: Characters one CSV record may hold (bounds memory when a quote is left open).
RECORD_CHAR_LIMIT = 16 * 1024 * 1024
#: Consecutive empty sheet rows after which the rest of a worksheet is only scanned for
#: values, not parsed row by row (1.5 M formatted but empty rows cost nothing).
XLSX_EMPTY_RUN = 1000
#: Uncompressed size of a worksheet (or its shared strings) beyond which a workbook is
#: rejected as oversized: Excel's own limit of 1,048,576 rows of a feed's width is far below.
XLSX_MAX_XML_BYTES = 1 << 30
#: Sheet rows beyond which a workbook is rejected (Excel's own limit).
XLSX_MAX_ROWS = 1_048_576
_BOM = codecs.BOM_UTF8
_FORMULA_TAG = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}f"

FORMAT_BY_ENCODING = {"utf-8": "csv-utf8", "utf-8-sig": "csv-utf8-bom", "gb18030": "csv-gb18030"}


class FeedRejected(Exception):
    """A file cannot be loaded at all; the whole (feed, month) delivery fails with it."""

    def __init__(
        self,
        message: str,
        *,
        feed: str | None = None,
        file_name: str | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.feed = feed
        self.file_name = file_name
        self.column = column


# --------------------------------------------------------------------------- encodings


def detect_encoding(prefix: bytes) -> str:
    """``utf-8-sig`` for a BOM, ``utf-8`` if the prefix decodes as UTF-8, else ``gb18030``.

    The prefix may end in the middle of a multi-byte character; that does not count against
    UTF-8. Nothing in these files declares the encoding, and GB18030 decodes almost any byte
    string, so UTF-8's strictness is the test.
    """
    if prefix.startswith(_BOM):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(prefix, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


@dataclass(frozen=True)
class FileInfo:
    """What one streaming pass over a file's bytes tells: checksum, format, decodability."""

    path: Path
    checksum: str
    size: int
    arrived_at: datetime
    file_format: str  # csv-utf8, csv-utf8-bom, csv-gb18030, xlsx
    encoding: str | None  # None for xlsx
    problem: str | None = None  # why the bytes cannot be read; the file is then rejected
    decoded: bool = True  # every byte decoded (False: left to the reader, see inspect_file)

    @property
    def name(self) -> str:
        return self.path.name


def is_xlsx(path: Path) -> bool:
    return path.suffix.lower() == ".xlsx"


def file_sha256(path: Path) -> str:
    """A file's sha256, as ``inspect_file`` records it in ``FileInfo.sha256`` (the loader's
    checksum): the landing's duplicate check and the run's plan compare files by it."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def inspect_file(path: Path, decode: bool = True) -> FileInfo:
    """Hash a file and, for a CSV, settle its encoding by decoding every byte once.

    The encoding is sniffed from the first 64 KiB. If the prefix was pure ASCII (no evidence
    either way) and a later byte is not UTF-8, the file is re-validated as GB18030 - a GBK
    export whose first Chinese character comes late. If the prefix proved UTF-8 (or had a BOM)
    and a later byte fails, the file is corrupt: ``problem`` names the line, and the loader
    rejects it rather than loading mojibake. NUL bytes (UTF-16, binary) are rejected too.

    ``decode=False`` (the loader) skips that decoding pass when the first 64 KiB already settle
    the encoding (a BOM, or non-ASCII text that is valid UTF-8): the reader decodes every byte
    anyway, and if it fails, ``FeedFile`` runs the full inspection then and rejects the file
    with exactly the problem this function would have found. It saves a pass over the bytes
    (~0.2 s of a 1 M-row file) on every good file. A NUL byte, or a prefix that settles
    nothing, still gets the full inspection here.
    """
    stat = path.stat()
    arrived_at = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
    digest = hashlib.sha256()
    if is_xlsx(path):
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        return FileInfo(path, digest.hexdigest(), stat.st_size, arrived_at, "xlsx", None)

    with path.open("rb") as fh:
        prefix = fh.read(SNIFF_BYTES)
    encoding = detect_encoding(prefix)
    if not decode and _settled(prefix, encoding):
        nul = False
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
                nul = nul or b"\x00" in chunk
        if not nul:
            return FileInfo(
                path, digest.hexdigest(), stat.st_size, arrived_at,
                FORMAT_BY_ENCODING[encoding], encoding, None, decoded=False,
            )
        return inspect_file(path)
    problem, at = _validate(path, encoding, digest)
    if prefix.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        problem = "is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8 or GB18030"
    if problem and encoding == "utf-8" and prefix.isascii():
        # No evidence in the prefix: a GBK export whose first Chinese character comes late.
        other, other_at = _validate(path, "gb18030", None)
        if other is None or other_at > at:
            encoding, problem = "gb18030", other
    elif problem and encoding == "gb18030":
        # Rejected either way; but a UTF-8 file with one bad byte should be reported as
        # such, not as GB18030 failing on its first Chinese character.
        other, other_at = _validate(path, "utf-8", None)
        if other_at > at:
            encoding, problem = "utf-8", other
    return FileInfo(
        path, digest.hexdigest(), stat.st_size, arrived_at, FORMAT_BY_ENCODING[encoding],
        encoding, problem,
    )


def sniff_file(path: Path) -> FileInfo | None:
    """What ``inspect_file(path, decode=False)`` returns but the checksum (``""``), without
    reading past the first 64 KiB - or None when those do not settle the encoding (or the file
    is a workbook), so that the full pass must come first.

    For the loader, which hashes the file in a thread while it reads it: the checksum, and
    the NUL check that comes with it, are then ``inspect_file(path, decode=False)``'s."""
    if is_xlsx(path):
        return None
    stat = path.stat()
    with path.open("rb") as fh:
        prefix = fh.read(SNIFF_BYTES)
    encoding = detect_encoding(prefix)
    if not _settled(prefix, encoding) or b"\x00" in prefix:
        return None
    return FileInfo(
        path, "", stat.st_size, datetime.fromtimestamp(stat.st_mtime, tz=UTC),
        FORMAT_BY_ENCODING[encoding], encoding, None, decoded=False,
    )


def _settled(prefix: bytes, encoding: str) -> bool:
    """Whether a file's first bytes alone fix its encoding: a UTF-8 BOM, or UTF-8 with at
    least one non-ASCII character (a later bad byte then makes the file corrupt, never
    GB18030)."""
    if prefix.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return encoding == "utf-8-sig" or (encoding == "utf-8" and not prefix.isascii())


def _validate(path: Path, encoding: str, digest: Any) -> tuple[str | None, int]:
    """Decode the whole file in chunks (hashing it on the way when given a digest).

    Returns the first problem (None if the file decodes) and its byte offset.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    lines = 0
    problem: str | None = None
    at = -1
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if digest is not None:
                digest.update(chunk)
            if problem is None:
                nul = chunk.find(b"\x00")
                try:
                    decoder.decode(chunk if nul < 0 else chunk[:nul])
                except UnicodeDecodeError as exc:
                    bad = max(exc.start, 0)
                    line = lines + chunk.count(b"\n", 0, bad) + 1
                    at = offset + bad
                    problem = (
                        f"is not valid {encoding.upper()} at line {line} "
                        f"(byte offset {at}: {exc.reason})"
                    )
                else:
                    if nul >= 0:
                        line = lines + chunk.count(b"\n", 0, nul) + 1
                        at = offset + nul
                        problem = f"has a NUL byte at line {line}: not a UTF-8 or GB18030 text file"
            lines += chunk.count(b"\n")
            offset += len(chunk)
            if problem is not None and digest is None:
                break
    if problem is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            problem = f"is not valid {encoding.upper()}: it ends in the middle of a character"
            at = offset
    return problem, at


# --------------------------------------------------------------------------- headers


@dataclass(frozen=True)
class HeaderMatch:
    """How a file's header row maps onto the contract."""

    header: list[str]  # as received
    positions: list[tuple[int, Column]]  # (index in the row, contract column), file order
    absent: list[Column]  # contract columns the file lacks (all optional)
    unknown_columns: list[str] = field(default_factory=list)  # ignored, noted in load_history


def match_header(header: Sequence[Any], contract: Feed, label: str) -> HeaderMatch:
    """Match a header row to the contract: English or Chinese names (or aliases), trimmed and
    case-insensitive. Unknown columns are noted; a missing required column or a column named
    twice rejects the file."""
    wanted = {header_key(h): col for col in contract.columns for h in col.headers}
    received = ["" if h is None else str(h) for h in header]
    positions: list[tuple[int, Column]] = []
    seen: dict[str, int] = {}
    unknown: list[str] = []
    for index, text in enumerate(received):
        col = wanted.get(header_key(text))
        if col is None:
            if text.strip():
                unknown.append(text.strip())
            continue
        if col.name in seen:
            raise FeedRejected(
                f"{label}: column {col.label} appears twice "
                f"(header {received[seen[col.name]]!r} and {text!r})",
                feed=contract.name, file_name=label.rsplit("/", 1)[-1], column=col.name,
            )
        seen[col.name] = index
        positions.append((index, col))
    missing = [c for c in contract.required_columns if c.name not in seen]
    if missing:
        names = ", ".join(c.label for c in missing)
        noun = "column" if len(missing) == 1 else "columns"
        verb = "is" if len(missing) == 1 else "are"
        raise FeedRejected(
            f"{label}: required {noun} {names} {verb} missing (feed {contract.name})",
            feed=contract.name, file_name=label.rsplit("/", 1)[-1], column=missing[0].name,
        )
    absent = [c for c in contract.columns if c.name not in seen]
    return HeaderMatch(received, positions, absent, unknown)


# --------------------------------------------------------------------------- rows


class Lines(NamedTuple):
    """A run of raw CSV records with no quote and no lone carriage return, so that each line
    is exactly ``line.split(",")``. ``text`` holds ``count`` lines, each ending in ``\\n``
    (``\\r\\n`` made ``\\n``); the first is line ``first`` of the file."""

    first: int
    text: str
    count: int  # type: ignore[assignment]  # a field named like tuple.count(), kept: used widely
    data: bytes | None = None  # ``text`` as UTF-8, when the reader has it (read as bytes)

    def lines(self) -> list[str]:
        """The records, without their line ending."""
        found = self.text.split("\n")
        found.pop()
        return found


class Rows(list[tuple[int, Sequence[Any]]]):
    """``(line_no, cells)`` of the non-blank records of a run, with the physical ``lines``
    the run took (blank ones and lines of multi-line records included) and how many of them
    were ``blank`` records: the loader's line accounting."""

    def __init__(self) -> None:
        super().__init__()
        self.lines = 0
        self.blank = 0


class Faulty(NamedTuple):
    """One record the reader sets aside itself: ``reason`` (``unbalanced_quote``,
    ``field_too_long``, ``formula_without_value``, ``formula_error``), ``detail`` naming the
    physical lines ``first``..``last`` (or the sheet cell), ``cells`` as received (long cells
    shortened) and ``lines``: how many physical lines the record counts for - for a broken
    quote only its first line, since reading resumes on the next."""

    first: int
    last: int
    reason: str
    detail: str
    cells: list[Any]
    lines: int


#: What ``FeedFile.blocks`` yields: raw lines, rows of records, or one set-aside record.
Block = Lines | Rows | Faulty


class _RecordTooLong(Exception):
    """A CSV record ran past ``RECORD_LINE_LIMIT`` lines or ``RECORD_CHAR_LIMIT`` characters."""


class _LineSource:
    """The physical lines ``csv.reader`` parses: a block of lines, then the rest of the file,
    with the lines of the record being read kept so that a broken record can be given back
    (all but its first line) and read again as records of their own."""

    def __init__(self, chunk: list[str], text: io.TextIOWrapper | _Utf8Text, first: int) -> None:
        self.pending: collections.deque[str] = collections.deque(chunk)
        self.text = text
        self.start = first  # line number of the first line of the record being read
        self.taken: list[str] = []  # lines of the record being read
        self.chars = 0
        self.fresh = 0  # lines read from the file beyond the block
        self.eof_in_record = False  # the file ended inside a record (a quote left open)

    def __iter__(self) -> _LineSource:
        return self

    def __next__(self) -> str:
        if self.pending:
            line = self.pending.popleft()
        else:
            line = self.text.readline()
            if not line:
                self.eof_in_record = bool(self.taken)
                raise StopIteration
            self.fresh += 1
        self.taken.append(line)
        self.chars += len(line)
        if len(self.taken) > RECORD_LINE_LIMIT or self.chars > RECORD_CHAR_LIMIT:
            raise _RecordTooLong
        return line

    def done(self) -> tuple[int, int, list[str]]:
        """Close the record just read: its first and last line numbers and its lines."""
        first, taken = self.start, self.taken
        self.start += len(taken)
        self.taken, self.chars, self.eof_in_record = [], 0, False
        return first, first + len(taken) - 1, taken

    def give_back(self, taken: list[str]) -> None:
        """Read all but the first of a broken record's lines again."""
        self.pending.extendleft(reversed(taken[1:]))
        self.start -= len(taken) - 1

    @property
    def exhausted(self) -> bool:
        return not self.pending and not self.taken


class FeedFile:
    """An open feed file: its matched header and its records, block by block.

    ``line_no`` is the physical line of the CSV where the record starts (header is line 1; a
    quoted field spanning lines moves later records down) or the sheet row. Blank rows are
    skipped and not counted as records, but counted as lines: after reading every block,
    ``physical_lines == header_lines + record lines + blank lines`` (see the loader).
    Records the reader cannot take as they are come out as ``Faulty`` blocks, in file order.
    """

    def __init__(self, info: FileInfo, contract: Feed, label: str) -> None:
        self.info = info
        self.contract = contract
        self.label = label
        self._close: list[Any] = []
        self.physical_lines = 0  # lines (sheet rows) of the file read so far, header included
        self.header_lines = 0
        self.faults: list[Faulty] = []  # what ``rows`` left out
        self._at = 0  # where the record being read starts, for an error message
        if info.problem:
            raise self._rejected(info.problem)
        self._blocks: Iterator[Block]
        if info.file_format == "xlsx":
            header, self._blocks = self._open_xlsx()
        else:
            header, self._blocks = self._open_csv()
        if header is None or not any(str(h).strip() for h in header if h is not None):
            self.close()
            raise FeedRejected(
                f"{label}: has no header row (feed {contract.name})",
                feed=contract.name, file_name=info.name,
            )
        try:
            self.match = match_header(header, contract, label)
        except FeedRejected:
            self.close()
            raise
        self._by_index = {i: col for i, col in self.match.positions}

    # -- CSV

    def _open_csv(self) -> tuple[list[str] | None, Iterator[Block]]:
        if csv.field_size_limit() < RECORD_CHAR_LIMIT:
            # FIELD_LIMIT is ours to enforce per record (field_too_long); the csv module's
            # own limit (128 KiB) would reject the whole file instead.
            csv.field_size_limit(RECORD_CHAR_LIMIT)
        raw = self.info.path.open("rb")
        text: io.TextIOWrapper | _Utf8Text
        if self.info.encoding in ("utf-8", "utf-8-sig"):
            text = _Utf8Text(raw, bom=self.info.encoding == "utf-8-sig")
        else:
            text = io.TextIOWrapper(raw, encoding=self.info.encoding or "utf-8", newline="")
        self._close.append(text)
        reader = csv.reader(text)
        try:
            header = next(reader, None)
        except (UnicodeDecodeError, csv.Error) as exc:
            self.close()
            raise self._unreadable(1, exc) from None
        self.header_lines = self.physical_lines = reader.line_num
        return header, self._csv_blocks(text, reader.line_num)

    def _csv_blocks(self, text: io.TextIOWrapper | _Utf8Text, done: int) -> Iterator[Block]:
        """The records after the header, about ``BLOCK_CHARS`` of text at a time.

        Why: ``csv.reader`` was a third of the loader's time on a clean file, most of it
        splitting lines that hold no quote. A run of whole lines (``readlines`` splits them as
        the csv module's line iteration does) with no quote, no carriage return other than in
        ``\r\n`` and no line longer than ``FIELD_LIMIT`` is exactly ``line.split(",")`` per
        line, so it goes out as ``Lines`` (raw text, one record per line, for the loader's
        block path). Any other run is parsed record by record (``_records``), which reads on
        past the run when a quoted field spans lines, and goes out as ``Rows`` and ``Faulty``.
        ``done`` is the number of lines read so far.

        A UTF-8 file is read as bytes (``_Utf8Text``): a block is decoded once, and a plain
        block goes out as it is, with its bytes, which the bulk path needs anyway.
        """
        self._at = done + 1
        try:
            while True:
                self._at = done + 1
                block = text.block(BLOCK_CHARS) if isinstance(text, _Utf8Text) else None
                if block is not None:
                    plain_text, data, count = block
                    self.physical_lines += count
                    yield Lines(done + 1, plain_text, count, data)
                    done += count
                    continue
                chunk = text.readlines(BLOCK_CHARS)
                if not chunk:
                    break
                self.physical_lines += len(chunk)
                plain = _plain_run(chunk, FIELD_LIMIT)
                if plain is not None:
                    yield Lines(done + 1, plain, len(chunk))
                    done += len(chunk)
                    continue
                source = _LineSource(chunk, text, done + 1)
                yield from self._records(source)
                self.physical_lines += source.fresh
                done += len(chunk) + source.fresh
        except (UnicodeDecodeError, csv.Error) as exc:
            raise self._unreadable(self._at, exc) from None

    def _records(self, source: _LineSource) -> Iterator[Block]:
        """Parse ``source`` record by record as a careful person reads a CSV.

        A record whose quoted field runs over a line break where the column cannot hold one
        (any kind but text, or beyond the header), that swallows lines shaped like whole
        records, that is still open at the end of the file or after ``RECORD_LINE_LIMIT``
        lines, is set aside as ``unbalanced_quote`` - its first line only: reading resumes on
        the next line, so the lines it would have swallowed are read as the records they are.
        A record with a cell longer than ``FIELD_LIMIT`` is set aside as ``field_too_long``.
        """
        rows = Rows()
        reader = csv.reader(source)
        while not source.exhausted:
            self._at = source.start
            fault: Faulty | None = None
            try:
                row = next(reader)
            except StopIteration:
                break
            except _RecordTooLong:
                first, last, taken = source.done()
                fault = self._broken(
                    first, last, taken,
                    f"a quote opened on line {first} is still open on line {last}, "
                    f"{len(taken)} lines later",
                )
            else:
                eof = source.eof_in_record
                chars = source.chars
                first, last, taken = source.done()
                problem = None
                if eof:
                    problem = (f"a quote opened on line {first} is never closed: the file ends "
                               f"inside it on line {last}")
                elif len(taken) > 1:
                    problem = self._line_break_problem(row, first, last)
                if problem is not None:
                    fault = self._broken(first, last, taken, problem)
                elif chars > FIELD_LIMIT:
                    fault = self._too_long(row, first, last)
                if fault is None:
                    rows.lines += len(taken)
                    if any(row):
                        rows.append((first, row))
                    else:
                        rows.blank += len(taken)
                    continue
            if rows.lines:
                yield rows
                rows = Rows()
            yield fault
            if fault.reason == "unbalanced_quote":
                source.give_back(taken)
                reader = csv.reader(source)
        if rows.lines:
            yield rows

    def _line_break_problem(self, row: Sequence[str], first: int, last: int) -> str | None:
        """Why a record spanning lines ``first``..``last`` is a broken quote, or None."""
        width = len(self.match.header)
        for index, cell in enumerate(row):
            if "\n" not in cell and "\r" not in cell:
                continue
            where = f"a quoted field opened on line {first} runs to line {last}"
            if index >= width:
                return f"{where}: its line break is beyond the header's {width} columns"
            col = self._by_index.get(index)
            if col is not None and col.kind is not Kind.TEXT:
                return f"{where}: column {col.label} holds {col.kind} values, never a line break"
            swallowed = sum(
                1 for line in cell.splitlines()[1:] if line.count(",") >= max(width - 1, 1)
            )
            if swallowed:
                name = col.label if col is not None else repr(self.match.header[index])
                return (f"{where}: column {name} swallows {swallowed} line(s) shaped like "
                        "whole records")
        return None

    def _broken(self, first: int, last: int, taken: list[str], problem: str) -> Faulty:
        cells = next(csv.reader([taken[0].rstrip("\r\n")]), [])
        return Faulty(first, last, "unbalanced_quote",
                      f"{_span(first, last)}: {problem}; line {first} set aside, reading "
                      f"resumes on line {first + 1}", _shortened(cells), 1)

    def _too_long(self, row: list[str], first: int, last: int) -> Faulty | None:
        long = [(i, len(c)) for i, c in enumerate(row) if len(c) > FIELD_LIMIT]
        if not long:
            return None
        index, size = long[0]
        col = self._by_index.get(index)
        name = col.label if col is not None else f"number {index + 1}"
        where = f"line {first}" if first == last else f"lines {first}-{last}"
        return Faulty(first, last, "field_too_long",
                      f"{where}: column {name} holds {size:,} characters, more than the "
                      f"limit of {FIELD_LIMIT:,}", _shortened(row), last - first + 1)

    # -- XLSX

    def _open_xlsx(self) -> tuple[list[Any] | None, Iterator[Block]]:
        import openpyxl

        try:
            self._check_workbook_size()
            workbook = openpyxl.load_workbook(self.info.path, read_only=True, data_only=True)
            self._close.append(workbook)
            rows = _sheet_rows(workbook, workbook.worksheets[0], self._close)
            first = next(rows, None)
        except FeedRejected:
            self.close()
            raise
        except Exception as exc:  # anything openpyxl or zipfile raises: the bytes are bad
            self.close()
            raise self._bad_workbook(exc) from None
        header = None
        if first is not None and first[0] == 1:
            header = first[1]
            self.header_lines = self.physical_lines = 1
            first = None
        return header, self._xlsx_blocks(rows, first)

    def _check_workbook_size(self) -> None:
        """Reject a workbook whose parts unpack beyond ``XLSX_MAX_XML_BYTES`` before openpyxl
        reads any of them (it holds the shared strings in memory)."""
        import zipfile

        with zipfile.ZipFile(self.info.path) as archive:
            for item in archive.infolist():
                if item.file_size > XLSX_MAX_XML_BYTES:
                    raise FeedRejected(
                        f"{self.label}: is an oversized XLSX workbook: its part "
                        f"{item.filename} unpacks to {item.file_size:,} bytes, more than the "
                        f"limit of {XLSX_MAX_XML_BYTES:,} (feed {self.contract.name})",
                        feed=self.contract.name, file_name=self.info.name,
                    )

    def _xlsx_blocks(
        self, rows: Iterator[tuple[int, list[Any], bool]], first: tuple[int, list[Any], bool]
        | None,
    ) -> Iterator[Block]:
        """The sheet's non-empty rows after the header in ``Rows`` of ``XLSX_BATCH``, with
        ``Faulty`` for a row whose contract cell is a formula without a cached value or an
        error value. A workbook that breaks while being read is rejected, named."""
        batch = Rows()
        previous = self.physical_lines
        try:
            for number, values, special in itertools.chain([first] if first else [], rows):
                if number > XLSX_MAX_ROWS:
                    raise FeedRejected(
                        f"{self.label}: is an oversized XLSX workbook: row {number:,} is beyond "
                        f"Excel's {XLSX_MAX_ROWS:,} rows (feed {self.contract.name})",
                        feed=self.contract.name, file_name=self.info.name,
                    )
                gap = number - previous - 1
                batch.blank += gap
                batch.lines += gap
                previous = self.physical_lines = number
                fault = self._cell_fault(number, values) if special else None
                if fault is not None:
                    if batch.lines:
                        yield batch
                        batch = Rows()
                    yield fault
                    continue
                batch.lines += 1
                batch.append((number, values))
                if len(batch) >= XLSX_BATCH:
                    yield batch
                    batch = Rows()
        except FeedRejected:
            raise
        except Exception as exc:
            raise self._bad_workbook(exc) from None
        if batch.lines:
            yield batch

    def _cell_fault(self, number: int, values: list[Any]) -> Faulty | None:
        """Set aside a row whose contract cell has no usable value; elsewhere such a cell is
        just empty (an ignored column)."""
        fault = None
        for index, value in enumerate(values):
            if not isinstance(value, _Special):
                continue
            col = self._by_index.get(index)
            values[index] = None if isinstance(value, _NoValue) else str(value)
            if col is None or fault is not None:
                continue
            cell = f"cell {_column_letter(index)}{number}"
            if isinstance(value, _NoValue):
                fault = ("formula_without_value",
                         f"{col.name}: {cell} is a formula with no cached value (the workbook "
                         "was saved without calculating it)")
            else:
                fault = ("formula_error", f"{col.name}: {cell} holds the error value {value}")
        if fault is None:
            return None
        cells = ["" if v is None else v for v in values]
        return Faulty(number, number, fault[0], fault[1], cells, 1)

    def _bad_workbook(self, exc: Exception) -> FeedRejected:
        cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return FeedRejected(
            f"{self.label}: is not a readable XLSX workbook ({cause}) (feed {self.contract.name})",
            feed=self.contract.name, file_name=self.info.name,
        )

    def _unreadable(self, line: int, exc: Exception) -> FeedRejected:
        if isinstance(exc, UnicodeDecodeError) and not self.info.decoded:
            # The bytes were left to us to decode (inspect_file(decode=False)): say what the
            # full inspection says, as if it had rejected the file before the load.
            problem = inspect_file(self.info.path).problem
            if problem:
                return self._rejected(problem)
        return FeedRejected(
            f"{self.label}: cannot be read as {self.info.file_format} near line {line} ({exc}) "
            f"(feed {self.contract.name})",
            feed=self.contract.name, file_name=self.info.name,
        )

    def _rejected(self, problem: str) -> FeedRejected:
        return FeedRejected(
            f"{self.label}: {problem}; re-export it as UTF-8 (feed {self.contract.name})",
            feed=self.contract.name, file_name=self.info.name,
        )

    @property
    def header(self) -> list[str]:
        return self.match.header

    @property
    def unknown_columns(self) -> list[str]:
        return self.match.unknown_columns

    def blocks(self) -> Iterator[Block]:
        """The records in file order, as ``Lines`` (raw quote-free CSV lines), ``Rows`` of
        ``(line_no, cells)`` or one ``Faulty`` record; blank records are left out of ``Rows``
        (and counted in ``Rows.blank``), not out of ``Lines``."""
        return self._blocks

    def rows(self) -> Iterator[tuple[int, Sequence[Any]]]:
        """``(line_no, cells)`` of every non-blank record; ``Faulty`` ones go to ``faults``."""
        for block in self._blocks:
            if isinstance(block, Lines):
                for number, line in enumerate(block.lines(), start=block.first):
                    row = line.split(",")
                    if any(row):
                        yield number, row
            elif isinstance(block, Faulty):
                self.faults.append(block)
            else:
                yield from block

    def close(self) -> None:
        for item in self._close:
            item.close()
        self._close.clear()

    def __enter__(self) -> FeedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: A line as ``io.TextIOWrapper(newline="")`` splits them: at ``\n``, ``\r\n`` or a lone ``\r``.
_TEXT_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


class _Utf8Text:
    """A UTF-8 CSV file's text, read as bytes and decoded a block at a time: what
    ``io.TextIOWrapper(raw, encoding="utf-8", newline="")`` gives (``readline``,
    ``readlines``, iteration: the same lines, the same ``UnicodeDecodeError`` on a bad byte),
    plus ``block``: a run of whole lines with its bytes, for the bulk path.

    Why: decoding 1 MB at once and keeping the bytes saves the text layer's per-line work and
    the bulk path's encoding the text back (about 0.5 s of a 1 M-row file). Blocks end after
    a ``\n`` byte, which is never inside a multi-byte character, so each decodes alone."""

    def __init__(self, raw: Any, bom: bool) -> None:
        self.raw = raw
        self.bom = bom
        self.pending = ""  # decoded text not yet handed out (begins a line)
        self.eof = False

    def _read(self, size: int) -> tuple[str, bytes] | None:
        """About ``size`` more bytes, up to and including a ``\n`` (or to the end), decoded."""
        data = self.raw.read(size)
        if data and not data.endswith(b"\n"):
            data += self.raw.readline()
        if not data:
            self.eof = True
            return None
        if self.bom:
            self.bom = False
            if data.startswith(_BOM):
                data = data[len(_BOM):]
        return data.decode("utf-8"), data

    def block(self, size: int) -> tuple[str, bytes, int] | None:
        """The next run of about ``size`` bytes of whole lines if it is plain (see
        ``_plain_run``): ``(text, its UTF-8 bytes, lines)``, ``\r\n`` made ``\n``. None at
        the end, or when the run is not plain - then it stays pending for ``readlines``."""
        data: bytes | None = None
        if self.pending:
            text = self._take(size)
        else:
            read = self._read(size)
            if read is None:
                return None
            text, data = read
        if '"' in text or "\r" in text and text.count("\r") != text.count("\r\n"):
            self.pending = text + self.pending
            return None
        if data is None:
            data = text.encode("utf-8")
        if len(text) > FIELD_LIMIT:
            ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
            if np.diff(ends, prepend=-1).max(initial=0) > FIELD_LIMIT or (
                len(data) - 1 - (ends[-1] if len(ends) else -1) > FIELD_LIMIT
            ):  # a line may be too long (bytes bound characters): let the exact check decide
                self.pending = text + self.pending
                return None
        if "\r" in text:
            text, data = text.replace("\r\n", "\n"), data.replace(b"\r\n", b"\n")
        lines = text.count("\n")
        if not text.endswith("\n"):
            text, data, lines = text + "\n", data + b"\n", lines + 1
        return text, data, lines

    def _take(self, size: int) -> str:
        """Whole lines of ``pending``, at least ``size`` characters of them (or all)."""
        cut = self.pending.find("\n", max(size, 1) - 1)
        if cut < 0:
            text, self.pending = self.pending, ""
        else:
            text, self.pending = self.pending[:cut + 1], self.pending[cut + 1:]
        return text

    def readline(self) -> str:
        while True:
            found = _TEXT_LINES.match(self.pending)
            if found is not None and (self.eof or found.end() < len(self.pending)
                                      or self.pending.endswith("\n")):
                self.pending = self.pending[found.end():]
                return found.group()
            if self.eof:
                return ""
            read = self._read(8192)  # as io.TextIOWrapper: a bad byte far on waits
            if read is not None:
                self.pending += read[0]

    def readlines(self, hint: int = -1) -> list[str]:
        if not self.pending:
            read = self._read(hint if hint > 0 else _CHUNK)
            if read is None:
                return []
            self.pending = read[0]
        return _TEXT_LINES.findall(self._take(hint if hint > 0 else len(self.pending)))

    def __iter__(self) -> Iterator[str]:
        return iter(self.readline, "")

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self) -> None:
        self.raw.close()


def _plain_run(chunk: list[str], limit: int) -> str | None:
    """The lines of ``chunk`` as one text of ``\\n``-ended lines, if each is exactly
    ``line.split(",")`` to the csv module: no quote, no carriage return but in ``\\r\\n``,
    no line longer than ``limit`` (``FIELD_LIMIT``: the record path checks its cells). Else
    None.
    """
    joined = "".join(chunk)
    if '"' in joined or max(map(len, chunk)) > limit:
        return None
    if "\r" in joined:
        if joined.count("\r") != joined.count("\r\n"):
            return None  # a lone carriage return ends a record for the csv module
        joined = joined.replace("\r\n", "\n")
    return joined if joined.endswith("\n") else joined + "\n"


def open_feed_file(path: Path | FileInfo, contract: Feed, label: str | None = None) -> FeedFile:
    """Open a feed file for reading (inspecting it first when given a bare path)."""
    info = path if isinstance(path, FileInfo) else inspect_file(Path(path))
    return FeedFile(info, contract, label or f"{contract.name}/{info.name}")


# --------------------------------------------------------------------------- XLSX internals


class _Special:
    """A sheet cell with no usable value: marks its row for ``FeedFile._cell_fault``."""


class _NoValue(_Special):
    def __str__(self) -> str:
        return ""


class _ErrorValue(_Special, str):
    """An error value (``#DIV/0!``, ``#N/A``) as cached by Excel."""


_NO_VALUE = _NoValue()
_VALUE_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:v|is|f)[\s>/]")


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


class _ScannedSource:
    """A worksheet's XML stream for ``iterparse``, which can also tell, without parsing,
    whether anything after the point read so far holds a cell value."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def read(self, size: int = -1) -> bytes:
        return self.raw.read(size)

    def rest_has_values(self) -> bool:
        """Whether the unread rest holds a value, an inline string or a formula (a regex
        over bytes: about a second per gigabyte, against minutes of row-by-row parsing)."""
        tail = b""
        while chunk := self.raw.read(_CHUNK):
            if _VALUE_TAG.search(tail + chunk):
                return True
            tail = chunk[-32:]
        return False

    def close(self) -> None:
        self.raw.close()


def _sheet_rows(workbook: Any, sheet: Any, closing: list[Any]) -> Iterator[
    tuple[int, list[Any], bool]
]:
    """``(row number, values, special)`` of a worksheet's non-empty rows, in order.

    Why not ``iter_rows``: it fills every row up to the sheet's declared dimension, costs a
    Python call per cell of every empty row (86 s for 1.5 M empty formatted rows) and makes a
    formula without a cached value look like an empty cell. This drives openpyxl's own
    read-only parser instead (so shared strings, dates and styles are read as before), marks
    formula cells without a value and error cells (``special``), and after
    ``XLSX_EMPTY_RUN`` consecutive empty rows only scans the rest of the XML for a value: if
    there is none, the sheet ends there; if there is one, the sheet is parsed again from the
    start, row by row, skipping what was read (slow, but nothing is lost).
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    class Parser(WorkSheetParser):
        special = False

        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            if cell["value"] is None:
                if element.find(_FORMULA_TAG) is not None:
                    cell["value"] = _NO_VALUE
                    self.special = True
            elif cell["data_type"] == "e":
                cell["value"] = _ErrorValue(cell["value"])
                self.special = True
            return cell

    def parse(scan: bool, after: int) -> Iterator[tuple[int, list[Any], bool]]:
        source = _ScannedSource(workbook._archive.open(sheet._worksheet_path))
        closing.append(source)
        parser = Parser(
            source, sheet._shared_strings, data_only=True, epoch=workbook.epoch,
            date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats,
        )
        last = 0
        for number, cells in parser.parse():
            if number <= after:
                continue
            values = _row_values(cells)
            if values is not None:
                yield number, values, parser.special
                parser.special = False
                last = number
            elif scan and number - last > XLSX_EMPTY_RUN:
                if source.rest_has_values():
                    yield from parse(False, max(number, after))
                return

    return parse(True, 0)


def _row_values(cells: list[dict[str, Any]]) -> list[Any] | None:
    """A sheet row's values by column (None where no cell), or None if it holds nothing."""
    if not any(c["value"] is not None and c["value"] != "" for c in cells):
        return None
    values: list[Any] = [None] * min(cells[-1]["column"], 16384)
    for cell in cells:
        column = cell["column"]
        if 1 <= column <= len(values):
            values[column - 1] = cell["value"]
    return values


def _shortened(cells: Sequence[Any], keep: int = 200) -> list[Any]:
    """Cells for ``row_received``: a cell longer than ``keep`` characters is cut, saying how
    long it was (a 5 MB cell does not belong in ``ops.quarantine``)."""
    return [
        f"{c[:keep]}… ({len(c):,} characters)" if isinstance(c, str) and len(c) > keep else c
        for c in cells
    ]


def _span(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"
