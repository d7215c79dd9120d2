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
import csv
import hashlib
import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from fangpin.feeds.contracts import Column, Feed, header_key

SNIFF_BYTES = 64 * 1024
_CHUNK = 1 << 20
BLOCK_CHARS = 1 << 20  # characters of CSV text per block of records
XLSX_BATCH = 5000  # rows per block of a worksheet
_BOM = codecs.BOM_UTF8

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
    count: int

    def lines(self) -> list[str]:
        """The records, without their line ending."""
        found = self.text.split("\n")
        found.pop()
        return found


#: What ``FeedFile.blocks`` yields: raw lines, or ``(line_no, cells)`` of non-blank records.
Block = Lines | list[tuple[int, Sequence[Any]]]


class FeedFile:
    """An open feed file: its matched header and an iterator over ``(line_no, cells)``.

    ``line_no`` is the line of the CSV where the record starts (header is line 1; a quoted
    field spanning lines moves later records down) or the sheet row. Blank rows are skipped
    and not counted.
    """

    def __init__(self, info: FileInfo, contract: Feed, label: str) -> None:
        self.info = info
        self.contract = contract
        self.label = label
        self._close: list[Any] = []
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

    def _open_csv(self) -> tuple[list[str] | None, Iterator[Block]]:
        raw = self.info.path.open("rb")
        text = io.TextIOWrapper(raw, encoding=self.info.encoding or "utf-8", newline="")
        self._close.append(text)
        reader = csv.reader(text)
        try:
            header = next(reader, None)
        except (UnicodeDecodeError, csv.Error) as exc:
            self.close()
            raise self._unreadable(1, exc) from None
        return header, self._csv_blocks(text, reader.line_num)

    def _csv_blocks(self, text: io.TextIOWrapper, done: int) -> Iterator[Block]:
        """The records after the header, about ``BLOCK_CHARS`` of text at a time.

        Why: ``csv.reader`` was a third of the loader's time on a clean file, most of it
        splitting lines that hold no quote. A run of whole lines (``readlines`` splits them as
        the csv module's line iteration does) with no quote and no carriage return other than
        in ``\r\n`` is exactly ``line.split(",")`` per line, so it goes out as ``Lines``
        (raw text, one record per line, for the loader's block path). Any other run is parsed
        by ``csv.reader``, which reads on past the run when a quoted field spans lines, and
        goes out as ``(line_no, cells)`` pairs. ``done`` is the number of lines read so far.
        """
        limit = csv.field_size_limit()
        start = done + 1  # where the record being read starts, for an error message
        try:
            while chunk := text.readlines(BLOCK_CHARS):
                start = done + 1
                plain = _plain_run(chunk, limit)
                if plain is not None:
                    yield Lines(done + 1, plain, len(chunk))
                    done += len(chunk)
                    continue
                reader = csv.reader(itertools.chain(chunk, text))
                rows: list[tuple[int, list[str]]] = []
                while reader.line_num < len(chunk):
                    start = done + reader.line_num + 1
                    row = next(reader)
                    if any(row):
                        rows.append((start, row))
                done += reader.line_num
                yield rows
        except (UnicodeDecodeError, csv.Error) as exc:
            raise self._unreadable(start, exc) from None

    def _open_xlsx(self) -> tuple[list[Any] | None, Iterator[Block]]:
        import zipfile

        import openpyxl

        try:
            workbook = openpyxl.load_workbook(self.info.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise FeedRejected(
                f"{self.label}: is not a readable XLSX workbook ({exc})"
                f" (feed {self.contract.name})",
                feed=self.contract.name, file_name=self.info.name,
            ) from None
        self._close.append(workbook)
        sheet = workbook.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        header = next(it, None)

        def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
            for number, row in enumerate(it, start=2):
                for value in row:
                    if value is not None and value != "":
                        yield number, row
                        break

        def blocks() -> Iterator[Block]:
            found = rows()
            while batch := list(itertools.islice(found, XLSX_BATCH)):
                yield batch

        return (list(header) if header is not None else None), blocks()

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
        """The records in file order, as ``Lines`` (raw quote-free CSV lines) or lists of
        ``(line_no, cells)``; blank records are left out of the lists, not out of ``Lines``."""
        return self._blocks

    def rows(self) -> Iterator[tuple[int, Sequence[Any]]]:
        """``(line_no, cells)`` of every non-blank record."""
        for block in self._blocks:
            if isinstance(block, Lines):
                for number, line in enumerate(block.lines(), start=block.first):
                    row = line.split(",")
                    if any(row):
                        yield number, row
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


def _plain_run(chunk: list[str], limit: int) -> str | None:
    """The lines of ``chunk`` as one text of ``\\n``-ended lines, if each is exactly
    ``line.split(",")`` to the csv module: no quote, no carriage return but in ``\\r\\n``,
    no line longer than the csv field limit (the csv module then raises its error). Else None.
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
