"""Load one feed's monthly delivery into ``raw.<feed>``: exactly once, all or nothing.

A delivery is every file of ``<landing>/<YYYY-MM>/<feed>/``. Its identity is the multiset of
the files' sha256 checksums: the same bytes again are skipped; different bytes replace the
month's earlier delivery. Replacement, loading and history happen in ONE transaction (under
an advisory lock per feed-month), so a reader sees the old delivery or the new one, never a
mix, and a load killed half way leaves nothing behind - not even a ``loading`` history row.

Rows stream from the file through ``fangpin.feeds.rows`` into ``COPY ... FROM STDIN`` in
text format, so memory stays flat whatever the file size. Set-aside rows are spooled to a
temporary file and COPYed into ``ops.quarantine`` after the file's rows.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, cast

import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from fangpin.domain.months import folder_name
from fangpin.faults import fault_point
from fangpin.feeds import contracts
from fangpin.feeds.read import (
    Faulty,
    FeedFile,
    FeedRejected,
    FileInfo,
    Lines,
    inspect_file,
    sniff_file,
)
from fangpin.feeds.rows import COPY_NULL, RowInvalid, RowNormaliser, copy_escape, row_received
from fangpin.load.landing import (
    LandingEntry,
    duplicate_entries,
    feed_entries,
    landing_report,
    parse_month,
)
from fangpin.warehouse.connection import one_row

log = logging.getLogger(__name__)

_FLUSH_ROWS = 5000  # lines per copy.write(): big enough to amortise, small enough to stay flat
_BULK_PART = 1000  # lines per retry of the bulk path when a whole block was refused
_LOCK_CLASS = "fangpin.load"


@dataclass
class FileLoadResult:
    file_name: str
    checksum: str
    file_format: str
    load_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Line accounting: physical_lines = header_lines + record_lines + blank_lines.
    physical_lines: int = 0
    header_lines: int = 0
    record_lines: int = 0
    blank_lines: int = 0


@dataclass
class FeedLoadResult:
    """What ``load_feed_month`` did. ``status``: ``loaded``, ``skipped`` (same bytes as the
    current delivery) or ``absent`` (no files for this feed and month)."""

    feed: str
    month: date
    status: str
    files: list[FileLoadResult] = field(default_factory=list)
    seconds: float = 0.0
    message: str = ""
    analyze_seconds: float = 0.0  # of ``seconds``: the ANALYZE after the load (for the bench)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, same bytes as)
    landing: list[LandingEntry] = field(default_factory=list)  # what was not taken, and why

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0


# --------------------------------------------------------------------------- the landing area


def month_folder(landing: Path | str, month: date) -> Path:
    return Path(landing) / folder_name(month)


def feed_files(folder: Path, landing: Path | None = None) -> list[Path]:
    """The data files of a feed folder the loader takes, by name: ``*.csv`` and ``*.xlsx`` in
    any case, neither symlinks nor paths leaving the landing area nor empty files.

    ``landing`` defaults to the folder's grandparent (``<landing>/<YYYY-MM>/<feed>``). What is
    not taken is in ``fangpin.load.landing.feed_entries``' report (and ``landing_report``).
    """
    folder = Path(folder)
    landing = Path(landing) if landing is not None else folder.parent.parent
    month = _parse_month(folder.parent.name)
    if month is None:
        return []
    taken, entries = feed_entries(landing, month, folder.name)
    for entry in entries:
        log.info("landing %s: %s", landing, entry)
    return taken


def as_month(value: date | datetime | str) -> date:
    """The first day of a month given as a date, a datetime (Airflow's logical date) or text
    (``2021-12`` or ``2021-12-01``)."""
    if isinstance(value, str):
        parsed = _parse_month(value.strip()[:7])
        if parsed is None:
            raise ValueError(f"not a month: {value!r} (expected YYYY-MM or YYYY-MM-DD)")
        return parsed
    if isinstance(value, datetime):
        value = value.date()
    return value.replace(day=1)


def _parse_month(name: str) -> date | None:
    return parse_month(name)


@dataclass
class Landing:
    """What is in a landing area: feeds per month, and what was ignored (and why)."""

    months: dict[date, list[str]]
    ignored: list[str]
    entries: list[LandingEntry] = field(default_factory=list)  # the same, as report entries


def scan_landing(landing: Path) -> Landing:
    """Months (``YYYY-MM`` folders) and their feeds with at least one data file the loader
    takes.

    Everything else - ``_truth``, stray files, misspelt feed or month folders, symlinks,
    unknown file types, empty files - is in ``ignored`` (``str`` of each ``LandingEntry`` of
    ``landing_report``: path, reason, hint) and logged, so that a department that names its
    folder ``Education`` is noticed rather than silently missed.
    """
    landing = Path(landing)
    report = landing_report(landing)
    months: dict[date, list[str]] = {}
    for entry in sorted(landing.iterdir(), key=lambda p: p.name):
        month = _parse_month(entry.name)
        if month is None or entry.is_symlink() or not entry.is_dir():
            continue
        feeds = [f for f in contracts.FEED_NAMES if feed_entries(landing, month, f)[0]]
        if feeds:
            months[month] = feeds
    for item in report:
        log.info("landing %s: ignoring %s", landing, item)
    return Landing(months, [str(e) for e in report], report)


def discover(landing: Path) -> dict[date, list[str]]:
    """``{month: [feeds delivered]}``, months ascending, feeds in contract order."""
    return scan_landing(landing).months


# --------------------------------------------------------------------------- loading


def load_feed_month(
    url: str, landing: Path | str, month: date, feed: str, run_id: str | None = None
) -> FeedLoadResult:
    """Load the delivery of ``feed`` for ``month`` from the landing area, exactly once.

    Raises ``FeedRejected`` when a file cannot be loaded (undecodable, no header, a required
    column missing): then nothing of the delivery is loaded, the month's previous delivery (if
    any) stays current, and a ``rejected`` row in ``ops.load_history`` keeps the error.
    """
    contract = contracts.feed(feed)
    month = as_month(month)
    started = time.perf_counter()
    folder = month_folder(landing, month) / feed
    paths, entries = feed_entries(Path(landing), month, feed)
    for entry in entries:
        log.warning("%s %s: %s", feed, f"{month:%Y-%m}", entry)
    if not paths:
        log.info("%s %s: no files in %s", feed, f"{month:%Y-%m}", folder)
        refused = "; ".join(str(e) for e in entries)
        return FeedLoadResult(
            feed, month, "absent", landing=entries,
            message=f"no files in {folder}" + (f" (not taken: {refused})" if refused else ""),
        )

    # The reader decodes every byte (decode=False). A delivery of one file is hashed in a
    # thread while it is read (``_Hashing``); several files are hashed first, to find
    # duplicates among them.
    hashing = _Hashing.start(paths[0]) if len(paths) == 1 else None
    infos = (
        [hashing.info] if hashing is not None else [inspect_file(p, decode=False) for p in paths]
    )
    by_path = {i.path: i for i in infos}
    keep, pairs, found = duplicate_entries(
        Path(landing), month, feed, [(i.path, i.checksum) for i in infos]
    )
    entries.extend(found)
    duplicates = [(by_path[d], by_path[o]) for d, o in pairs]
    infos = [by_path[p] for p in keep]
    # UTF-8 on the wire: the bulk path hands COPY bytes it encoded itself.
    with psycopg.connect(url, autocommit=True, client_encoding="UTF8") as conn:
        try:
            with conn.transaction():
                result = _load_delivery(conn, contract, month, infos, run_id, hashing)
                _record_duplicates(conn, feed, month, duplicates, run_id)
                result.duplicates = [(d.name, o.name) for d, o in duplicates]
                result.landing = entries
                if result.status == "loaded":
                    # Fresh statistics for dbt, which reads the table next (autovacuum may be
                    # later). In the load's transaction: they commit with the rows, and the
                    # sample is read from pages this transaction wrote (no hint bits to set).
                    analyzing = time.perf_counter()
                    conn.execute(sql.SQL("analyze raw.{}").format(sql.Identifier(contract.name)))
                    result.analyze_seconds = time.perf_counter() - analyzing
        except FeedRejected as exc:
            infos = hashing.settled() if hashing is not None else infos
            _record_failure(conn, contract.name, month, infos, exc, "rejected", run_id)
            log.error("%s", exc)
            raise
        except BaseException as exc:
            infos = hashing.settled() if hashing is not None else infos
            _record_failure(conn, contract.name, month, infos, exc, "failed", run_id)
            raise
    result.seconds = time.perf_counter() - started
    log.info(
        "%s %s: %s, %d files, %d rows read, %d loaded, %d quarantined in %.1fs",
        feed, f"{month:%Y-%m}", result.status, len(result.files), result.rows_read,
        result.rows_loaded, result.rows_quarantined, result.seconds,
    )
    return result


def _label(month: date, feed: str, name: str) -> str:
    return f"{month:%Y-%m}/{feed}/{name}"


def _load_delivery(
    conn: psycopg.Connection,
    contract: contracts.Feed,
    month: date,
    infos: list[FileInfo],
    run_id: str | None,
    hashing: _Hashing | None = None,
) -> FeedLoadResult:
    feed = contract.name
    conn.execute(
        "select pg_advisory_xact_lock(hashtext(%s), hashtext(%s))",
        (_LOCK_CLASS, f"{feed}/{month:%Y-%m}"),
    )
    current = sorted(
        r[0]
        for r in conn.execute(
            "select checksum from ops.load_history"
            " where feed = %s and month = %s and status = 'loaded'",
            (feed, month),
        )
    )
    if hashing is not None and len(current) == len(infos):
        # The same bytes may be delivered again: the checksum decides before anything else.
        infos, hashing = hashing.final(), None
    if current == sorted(i.checksum for i in infos):
        for info in infos:
            conn.execute(
                "insert into ops.load_history (feed, month, file_name, file_path, checksum,"
                " file_format, status, arrived_at, started_at, finished_at, run_id)"
                " values (%s, %s, %s, %s, %s, %s, 'skipped', %s, clock_timestamp(),"
                " clock_timestamp(), %s)",
                (feed, month, info.name, str(info.path), info.checksum, info.file_format,
                 info.arrived_at, run_id),
            )
        files = [FileLoadResult(i.name, i.checksum, i.file_format) for i in infos]
        return FeedLoadResult(
            feed, month, "skipped", files,
            message="same bytes as the current delivery: nothing to do",
        )

    # Check every file's encoding and header before touching anything: a bad file in a
    # delivery of many is reported at once, not after loading the others.
    for info in infos:
        FeedFile(info, contract, _label(month, feed, info.name)).close()

    conn.execute(
        sql.SQL("delete from raw.{} where _snapshot_month = %s").format(sql.Identifier(feed)),
        (month,),
    )
    conn.execute("delete from ops.quarantine where feed = %s and month = %s", (feed, month))
    conn.execute(
        "update ops.load_history set status = 'superseded'"
        " where feed = %s and month = %s and status = 'loaded'",
        (feed, month),
    )
    fault_point("load")  # tests kill here: the month's raw rows deleted, the new ones not in
    seen: dict[str, int] = {}
    names = [i.name for i in infos]
    files = [
        _load_file(conn, contract, month, info, run_id, seen, names, number, hashing)
        for number, info in enumerate(infos)
    ]
    return FeedLoadResult(feed, month, "loaded", files)


def _load_file(
    conn: psycopg.Connection,
    contract: contracts.Feed,
    month: date,
    info: FileInfo,
    run_id: str | None,
    seen: dict[str, int],
    names: Sequence[str],
    number: int,
    hashing: _Hashing | None = None,
) -> FileLoadResult:
    """Load one file. With ``hashing``, its checksum is still being computed: the history
    row gets it at the end, in the same transaction (nobody sees the row before)."""
    started = time.perf_counter()
    feed = contract.name
    load_id = one_row(conn.execute(
        "insert into ops.load_history (feed, month, file_name, file_path, checksum, file_format,"
        " status, arrived_at, started_at, run_id)"
        " values (%s, %s, %s, %s, %s, %s, 'loading', %s, clock_timestamp(), %s)"
        " returning load_id",
        (feed, month, info.name, str(info.path), info.checksum, info.file_format,
         info.arrived_at, run_id),
    ))[0]
    result = FileLoadResult(info.name, info.checksum, info.file_format, load_id)

    with (
        FeedFile(info, contract, _label(month, feed, info.name)) as reader,
        tempfile.SpooledTemporaryFile(8 << 20, mode="w+", encoding="utf-8", newline="") as spool,
    ):
        # The month as 20211201: the basic ISO form every DateStyle reads, a little less for
        # the server to parse on each of the file's rows.
        prefix = f"{load_id}\t{month:%Y%m%d}\t{copy_escape(info.name)}\t"
        normaliser = RowNormaliser(
            contract, reader.match.positions, reader.match.absent, prefix=prefix,
            width=len(reader.header),
        )
        result.unknown_columns = list(reader.unknown_columns)
        quarantine_prefix = "\t".join(
            [str(load_id), feed, month.isoformat(), copy_escape(info.name), ""]
        )
        header = reader.header

        def set_aside(line_no: int, reason: str, detail: str, row: Sequence[Any]) -> None:
            spool.write(
                f"{quarantine_prefix}{line_no}\t{reason}\t{copy_escape(detail)}\t"
                f"{copy_escape(row_received(header, row))}\n"
            )

        columns = sql.SQL(", ").join(
            sql.Identifier(c)
            for c in ("_load_id", "_snapshot_month", "_source_file", "_source_line",
                      *normaliser.copy_columns)
        )
        copy_raw = sql.SQL("copy raw.{} ({}) from stdin with ({})").format(
            sql.Identifier(feed), columns, sql.SQL(COPY_NULL)
        )
        # A writer thread sends the COPY data while this one reads and normalises the next
        # block (the socket writes release the GIL): Python and the server overlap.
        try:
            with (
                conn.cursor() as cur,
                cur.copy(copy_raw, writer=QueuedLibpqWriter(cur)) as copy,
            ):
                counts = _stream_rows(
                    reader, normaliser, copy.write, set_aside, seen, names, number
                )
        except BaseException:
            if hashing is not None:
                hashing.check(contract, reader.label)  # a NUL byte: the rejection it causes
            raise
        if hashing is not None:
            info = hashing.check(contract, reader.label)
            result.checksum = info.checksum
        result.rows_read, result.rows_loaded, result.rows_quarantined = counts[:3]
        result.record_lines, result.blank_lines = counts.record_lines, counts.blank_lines
        result.physical_lines, result.header_lines = reader.physical_lines, reader.header_lines
        _check_lines(result, reader.label)

        if result.rows_quarantined:
            spool.seek(0)
            copy_quarantine = (
                "copy ops.quarantine (load_id, feed, month, file_name, line_no, reason, detail,"
                " row_received) from stdin"
            )
            with conn.cursor() as cur, cur.copy(copy_quarantine) as copy:
                while chunk := spool.read(1 << 20):
                    copy.write(chunk)

    conn.execute(
        "update ops.load_history set status = 'loaded', rows_read = %s, rows_loaded = %s,"
        " rows_quarantined = %s, unknown_columns = %s::text[], physical_lines = %s,"
        " header_lines = %s, record_lines = %s, blank_lines = %s, checksum = %s,"
        " finished_at = clock_timestamp() where load_id = %s",
        (result.rows_read, result.rows_loaded, result.rows_quarantined, result.unknown_columns,
         result.physical_lines, result.header_lines, result.record_lines, result.blank_lines,
         result.checksum, load_id),
    )
    result.seconds = time.perf_counter() - started
    return result


class _Hashing:
    """The one file of a delivery, hashed in a thread (``hashlib`` releases the GIL) while the
    loader reads it: ``info`` is ``sniff_file``'s (no checksum yet), ``final`` the list with
    what ``inspect_file(path, decode=False)`` returns - the checksum, and the full inspection
    if the file holds a NUL byte.

    Why: the sha256 of a 1 M-row file is 0.1-0.15 s that no longer comes before the load."""

    def __init__(self, info: FileInfo) -> None:
        self.info = info
        self._future: Future[FileInfo] = Future()
        threading.Thread(target=self._run, name="fangpin-sha256", daemon=True).start()

    @classmethod
    def start(cls, path: Path) -> _Hashing | None:
        info = sniff_file(path)
        return None if info is None else cls(info)

    def _run(self) -> None:
        try:
            self._future.set_result(inspect_file(self.info.path, decode=False))
        except BaseException as exc:  # the loader sees it in final()
            self._future.set_exception(exc)

    def final(self) -> list[FileInfo]:
        return [self._future.result()]

    def settled(self) -> list[FileInfo]:
        """``final``, or ``[info]`` if hashing failed (for the failure's history row)."""
        try:
            return self.final()
        except Exception:
            return [self.info]

    def check(self, contract: contracts.Feed, label: str) -> FileInfo:
        """The file's final ``FileInfo``; ``FeedRejected`` (what ``FeedFile`` says before a
        load) when the full inspection found the bytes unusable."""
        info = self._future.result()
        if info.problem:
            FeedFile(info, contract, label).close()  # raises FeedRejected with the problem
        return info


class StreamCounts(NamedTuple):
    """What ``_stream_rows`` counted: records and the physical lines they took."""

    read: int
    loaded: int
    quarantined: int
    record_lines: int
    blank_lines: int


def _check_lines(result: FileLoadResult, label: str) -> None:
    """Every physical line is a header line, a line of a record (loaded or set aside) or a
    blank line: if not, lines went missing between reader and loader - fail, never load."""
    accounted = result.header_lines + result.record_lines + result.blank_lines
    if accounted != result.physical_lines or (
        result.rows_read != result.rows_loaded + result.rows_quarantined
    ):
        raise RuntimeError(
            f"{label}: line accounting does not add up: {result.physical_lines} physical lines,"
            f" {result.header_lines} header + {result.record_lines} in {result.rows_read}"
            f" records + {result.blank_lines} blank"
        )


def _record_duplicates(
    conn: psycopg.Connection,
    feed: str,
    month: date,
    duplicates: Sequence[tuple[FileInfo, FileInfo]],
    run_id: str | None,
) -> None:
    """One ``duplicate`` history row per file whose bytes another file of the delivery holds."""
    for info, original in duplicates:
        conn.execute(
            "insert into ops.load_history (feed, month, file_name, file_path, checksum,"
            " file_format, status, error, duplicate_of, arrived_at, started_at, finished_at,"
            " run_id) values (%s, %s, %s, %s, %s, %s, 'duplicate', %s, %s, %s,"
            " clock_timestamp(), clock_timestamp(), %s)",
            (feed, month, info.name, str(info.path), info.checksum, info.file_format,
             f"same bytes as {original.name}: loaded once", original.name, info.arrived_at,
             run_id),
        )


def _stream_rows(
    reader: FeedFile,
    normaliser: RowNormaliser,
    write: Callable[[str | bytes], None],
    set_aside: Callable[[int, str, str, Sequence[Any]], None],
    seen: dict[str, int],
    names: Sequence[str],
    number: int,
) -> StreamCounts:
    """The hot loop: normalise, de-duplicate, buffer COPY lines, flush in big writes.

    Returns ``StreamCounts`` (read, loaded, quarantined, record and blank lines). Records the
    reader set aside itself (``Faulty``: a broken quote, an oversized cell, a formula without a
    value) are quarantined as they come, in file order. A quote-free run of a CSV file
    (``Lines``) whose lines are all valid and canonical goes to COPY in one piece
    (``RowNormaliser.bulk``); if one line spoils that, the run is tried again in parts of
    ``_BULK_PART`` lines, so that one odd line costs its part, not the whole run. Any other run
    goes through the normaliser's generated ``block`` function, which stops at the first line it
    cannot prove valid; that one line is decided here like any other row, and the block goes on
    from the next, so every row is still decided in file order. A duplicate of the snapshot's
    unique key (household_id of the household registry, id_number of the member registry) keeps
    the first occurrence in file-name then line order and sets later ones aside as
    ``duplicate_key``.
    """
    stream = _RowStream(normaliser, set_aside, seen, names, number)
    buffer = stream.buffer

    def bulk(text: str, first: int, count: int, data: bytes | None = None) -> bool:
        clean = normaliser.bulk(text, first, count, seen, stream.tag, data)
        if clean is None:
            return False
        if buffer:  # keep the file's order in the COPY stream
            write("".join(buffer))
            buffer.clear()
        write(clean)
        return True

    for chunk in reader.blocks():
        if isinstance(chunk, Faulty):
            stream.read += 1
            stream.record_lines += chunk.lines
            stream.quarantined += 1
            set_aside(chunk.first, chunk.reason, chunk.detail, chunk.cells)
            continue
        if isinstance(chunk, Lines):
            stream.read += chunk.count
            stream.record_lines += chunk.count  # blank lines are moved to blank_lines
            if bulk(chunk.text, chunk.first, chunk.count, chunk.data):
                continue
            lines = chunk.lines()
            if normaliser.has_bulk and len(lines) > _BULK_PART:
                for at in range(0, len(lines), _BULK_PART):
                    part = lines[at:at + _BULK_PART]
                    if not bulk("\n".join(part) + "\n", chunk.first + at, len(part)):
                        stream.lines(part, chunk.first + at)
            else:
                stream.lines(lines, chunk.first)
        else:
            stream.read += len(chunk)
            stream.record_lines += chunk.lines - chunk.blank
            stream.blank_lines += chunk.blank
            for line_no, row in chunk:
                stream.row(line_no, row)
        if len(buffer) >= _FLUSH_ROWS:
            write("".join(buffer))
            buffer.clear()
    if buffer:
        write("".join(buffer))
    return StreamCounts(stream.read, stream.read - stream.quarantined, stream.quarantined,
                        stream.record_lines, stream.blank_lines)


class _RowStream:
    """One file's rows decided one at a time (``fast`` then ``slow``), with the counts, the
    COPY buffer and the duplicate-key bookkeeping ``_stream_rows`` shares with the block
    path."""

    def __init__(
        self,
        normaliser: RowNormaliser,
        set_aside: Callable[[int, str, str, Sequence[Any]], None],
        seen: dict[str, int],
        names: Sequence[str],
        number: int,
    ) -> None:
        self.normaliser = normaliser
        self.set_aside = set_aside
        self.seen = seen
        self.names = names
        self.tag = number << 40
        key_index = normaliser.key_index
        self.unique = key_index is not None
        self.key_name = normaliser.columns[key_index].name if key_index is not None else ""
        self.buffer: list[str] = []
        self.read = 0
        self.quarantined = 0
        self.record_lines = 0
        self.blank_lines = 0

    def lines(self, lines: list[str], first: int) -> None:
        """Decide raw quote-free lines (``lines[k]`` is line ``first + k``): the generated
        ``block`` function for as many as it proves, ``row`` for each one it stops at."""
        block = self.normaliser.block
        i, end = 0, len(lines)
        while i < end:
            if block is not None:
                i = block(lines, i, first, self.buffer, self.seen, self.tag)
                if i == end:
                    break
            row = lines[i].split(",")
            if any(row):
                self.row(first + i, row)
            else:
                self.read -= 1  # a blank line is not a record
                self.record_lines -= 1
                self.blank_lines += 1
            i += 1

    def row(self, line_no: int, row: Sequence[Any]) -> None:
        """Decide one row: into the COPY buffer, or set aside with its reason."""
        try:
            line = self.normaliser.fast(row, line_no)
        except Exception:
            try:
                line = self.normaliser.slow(row, line_no)
            except RowInvalid as exc:
                self.set_aside(line_no, exc.reason, exc.detail, row)
                self.quarantined += 1
                return
        if self.unique:
            key = cast(str, self.normaliser.key(line))  # a str: the feed has a unique key
            first = self.seen.get(key)
            if first is not None:
                where = f"{self.names[first >> 40]} line {first & ((1 << 40) - 1)}"
                self.set_aside(
                    line_no, "duplicate_key", f"{self.key_name} {key} already in {where}", row
                )
                self.quarantined += 1
                return
            self.seen[key] = self.tag | line_no
        self.buffer.append(line)


def _record_failure(
    conn: psycopg.Connection,
    feed: str,
    month: date,
    infos: list[FileInfo],
    exc: BaseException,
    status: str,
    run_id: str | None,
) -> None:
    """After the rollback: one committed history row saying what failed and why."""
    name = getattr(exc, "file_name", None)
    info = next((i for i in infos if i.name == name), infos[0])
    error = str(exc) if status == "rejected" else f"{type(exc).__name__}: {exc}"
    try:
        if conn.closed:
            return
        conn.execute(
            "insert into ops.load_history (feed, month, file_name, file_path, checksum,"
            " file_format, status, error, arrived_at, started_at, finished_at, run_id)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, clock_timestamp(), clock_timestamp(),"
            " %s)",
            (feed, month, info.name, str(info.path), info.checksum, info.file_format, status,
             error, info.arrived_at, run_id),
        )
    except Exception:  # the original error matters more than the bookkeeping
        log.exception("could not record the %s load of %s %s", status, feed, month)
