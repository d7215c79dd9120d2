"""The landing area read as a boundary: what the loader takes, and what it does not and why.

The landing area is ``<landing>/<YYYY-MM>/<feed>/<file>.csv|xlsx``. Everything else in it is
an entry the loader does not take - a misnamed feed or month folder, a file type it does not
read, an empty file, a symlink, a file whose bytes another file of the same feed-month
already holds - and each is listed by ``landing_report`` with a reason and, where one can be
guessed, a hint at the intended name. A department whose folder is ``Education/`` must be told,
not silently missed: the report is what a run prints and what ``ops.landing_issue`` keeps.

Symlinks are refused wherever they are (a month folder, a feed folder, a file), and so is any
path that resolves outside the landing area: the loader reads what was delivered into the
landing area, never what a link points at.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fangpin.domain.months import folder_month
from fangpin.feeds import contracts
from fangpin.feeds.read import file_sha256

log = logging.getLogger(__name__)

DATA_SUFFIXES = (".csv", ".xlsx")
_MONTH_LIKE = re.compile(r"([0-9]{4})\s*[-_./年]?\s*([0-9]{1,2})\s*月?")
_SUFFIX_HINTS = {
    ".xls": "an old Excel workbook: save it as .xlsx (Excel: Save As, Excel Workbook)",
    ".txt": "if it is comma-separated text, rename it to .csv",
    ".tsv": "save it as comma-separated .csv",
    ".xlsm": "save it as a plain .xlsx workbook (no macros)",
    ".et": "a WPS workbook: save it as .xlsx",
    ".zip": "unpack it into the feed folder",
}
_PROBE = 64 * 1024  # bytes read to tell an empty or header-only CSV

#: Severity of an entry: ``refused`` (not loaded) or ``warning`` (loaded, but worth a look).
REFUSED, WARNING = "refused", "warning"


@dataclass(frozen=True)
class LandingEntry:
    """One entry of the landing area the loader does not take as it is."""

    path: str  # relative to the landing area, ``/``-separated
    reason: str  # not_a_month_folder, unknown_feed_folder, unknown_file_type, symlink, ...
    severity: str  # REFUSED or WARNING
    hint: str = ""
    month: date | None = None
    feed: str | None = None

    def __str__(self) -> str:
        text = f"{self.path}: {self.reason.replace('_', ' ')} ({self.severity})"
        return f"{text}; {self.hint}" if self.hint else text


def parse_month(name: str) -> date | None:
    """The month of a ``YYYY-MM`` folder name, or None."""
    return folder_month(name)


def month_hint(name: str) -> str:
    """What a malformed month folder probably meant: ``2021-8`` → ``2021-08``."""
    m = _MONTH_LIKE.fullmatch(name.strip())
    if not m:
        return "month folders are named YYYY-MM, e.g. 2021-08"
    year, month = int(m[1]), int(m[2])
    if 1 <= month <= 12:
        return f"did you mean {year:04d}-{month:02d}? (month folders are named YYYY-MM)"
    return f"there is no month {month}; month folders are named YYYY-MM, from 01 to 12"


def feed_hint(name: str) -> str:
    """The feed a misnamed folder probably meant (``Education``, ``educaton``), by difflib."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in contracts.FEEDS:
        return f"did you mean {key}? (feed folders are lower case)"
    close = difflib.get_close_matches(key, contracts.FEED_NAMES, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]}?"
    return "feed folders are: " + ", ".join(contracts.FEED_NAMES)


def _skipped(name: str) -> bool:
    """Entries that are never deliveries and not worth a report line: hidden files and
    Excel's ``~$`` lock files."""
    return name.startswith((".", "~$"))


def _rel(landing: Path, path: Path) -> str:
    try:
        return path.relative_to(landing).as_posix()
    except ValueError:
        return str(path)


def _escapes(landing: Path, path: Path) -> bool:
    """Whether ``path`` resolves outside the landing area (a link, a bind mount, ``..``)."""
    try:
        path.resolve().relative_to(landing.resolve())
    except (ValueError, OSError):
        return True
    return False


def _boundary_problem(landing: Path, path: Path) -> LandingEntry | None:
    """A symlink, or a path leaving the landing area: refused, never followed."""
    rel = _rel(landing, path)
    if path.is_symlink():
        try:
            target = str(path.readlink())
        except OSError:
            target = "?"
        where = "outside" if _escapes(landing, path) else "inside"
        return LandingEntry(rel, "symlink", REFUSED,
                            f"it points to {target} ({where} the landing area); copy the file "
                            "itself into the landing area")
    if _escapes(landing, path):
        return LandingEntry(rel, "outside_landing", REFUSED,
                            f"it resolves to {path.resolve()}, outside the landing area")
    return None


def _text_probe(path: Path) -> str | None:
    """The first bytes of a CSV as text (BOM and encoding forgiven), None if unreadable."""
    with path.open("rb") as fh:
        prefix = fh.read(_PROBE)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return prefix.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _content_entry(landing: Path, path: Path, month: date, feed: str) -> LandingEntry | None:
    """An empty file (refused: not a delivery) or a header-only CSV (taken, 0 rows: warning)."""
    rel = _rel(landing, path)
    size = path.stat().st_size
    if path.suffix.lower() == ".xlsx":
        if size == 0:
            return LandingEntry(rel, "empty_file", REFUSED,
                                "the file has no bytes: export it again", month, feed)
        return None
    if size > _PROBE:
        return None
    text = _text_probe(path)
    if text is None:
        return None  # the loader rejects it, naming the bad bytes
    lines = [line for line in text.splitlines() if line.strip(" \t,\ufeff")]
    if not lines:
        return LandingEntry(rel, "empty_file", REFUSED,
                            "the file holds no header and no rows: export it again", month, feed)
    if len(lines) == 1:
        return LandingEntry(rel, "header_only", WARNING,
                            "a header and no rows: loaded as 0 rows; check that this city or "
                            "department really had nothing to deliver", month, feed)
    return None


def feed_entries(landing: Path, month: date, feed: str) -> tuple[list[Path], list[LandingEntry]]:
    """The data files of one feed-month the loader takes, in name order, and what it does not
    take there (with reasons). Duplicates by content are found by the loader, which hashes
    the files anyway (``duplicate_entries``)."""
    landing = Path(landing)
    month_dir = landing / f"{month:%Y-%m}"
    folder = month_dir / feed
    entries: list[LandingEntry] = []
    for level in (month_dir, folder):
        if level.is_symlink() or (level.exists() and _escapes(landing, level)):
            problem = _boundary_problem(landing, level)
            assert problem is not None
            entries.append(_at(problem, month, feed))
            return [], entries
    if not folder.is_dir():
        return [], entries
    taken: list[Path] = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if _skipped(path.name):
            continue
        rel = _rel(landing, path)
        problem = _boundary_problem(landing, path)
        if problem is not None:
            entries.append(_at(problem, month, feed))
        elif path.is_dir():
            entries.append(LandingEntry(rel, "nested_folder", REFUSED,
                                        "files go directly in the feed folder", month, feed))
        elif not path.is_file():
            entries.append(LandingEntry(rel, "not_a_file", REFUSED, "", month, feed))
        elif path.suffix.lower() not in DATA_SUFFIXES:
            hint = _SUFFIX_HINTS.get(path.suffix.lower(), "the loader reads .csv and .xlsx files")
            entries.append(LandingEntry(rel, "unknown_file_type", REFUSED, hint, month, feed))
        else:
            content = _content_entry(landing, path, month, feed)
            if content is not None:
                entries.append(content)
            if content is None or content.severity != REFUSED:
                taken.append(path)
    return taken, entries


def _at(entry: LandingEntry, month: date | None, feed: str | None) -> LandingEntry:
    return LandingEntry(entry.path, entry.reason, entry.severity, entry.hint, month, feed)


def duplicate_entries(
    landing: Path, month: date, feed: str, files: Iterable[tuple[Path, str]]
) -> tuple[list[Path], list[tuple[Path, Path]], list[LandingEntry]]:
    """Given ``(path, sha256)`` in name order: the files to load (the first of each content),
    ``(duplicate, original)`` pairs, and a report entry per duplicate."""
    first: dict[str, Path] = {}
    keep: list[Path] = []
    pairs: list[tuple[Path, Path]] = []
    entries: list[LandingEntry] = []
    for path, checksum in files:
        original = first.setdefault(checksum, path)
        if original is path:
            keep.append(path)
            continue
        pairs.append((path, original))
        entries.append(LandingEntry(
            _rel(Path(landing), path), "duplicate_file", REFUSED,
            f"the same bytes as {original.name}, which is loaded once", month, feed,
        ))
    return keep, pairs, entries


def _duplicates_by_content(landing: Path, month: date, feed: str,
                           files: list[Path]) -> list[LandingEntry]:
    """Duplicates among ``files``, hashing only files whose size another file shares."""
    sizes: dict[int, int] = {}
    for path in files:
        sizes[path.stat().st_size] = sizes.get(path.stat().st_size, 0) + 1
    candidates = [(p, file_sha256(p)) for p in files if sizes[p.stat().st_size] > 1]
    return duplicate_entries(landing, month, feed, candidates)[2]


def landing_report(landing: Path | str, month: date | None = None) -> list[LandingEntry]:
    """Every entry of the landing area (or of one month's folder and what looks like it)
    that the loader does not take as it is, with the reason and a hint.

    Top level: anything but a ``YYYY-MM`` folder (``2021-8``, ``2021-13``, stray files; for
    ``month`` given, only names that look like that month). A month folder: anything but a
    folder named after one of the eight feeds (a hint names the likely feed). A feed folder:
    symlinks, folders, file types other than .csv/.xlsx, empty files (all refused),
    header-only files (taken as 0 rows, a warning) and files with the same bytes as another
    of the same feed-month (refused: loaded once).
    """
    landing = Path(landing)
    if not landing.is_dir():
        raise FileNotFoundError(f"landing area {landing} does not exist")
    entries: list[LandingEntry] = []
    for entry in sorted(landing.iterdir(), key=lambda p: p.name):
        if _skipped(entry.name):
            continue
        parsed = parse_month(entry.name)
        if month is not None and parsed != month and not _looks_like(entry.name, month):
            continue
        if parsed is None:
            reason = "not_a_month_folder" if entry.is_dir() else "stray_file"
            hint = month_hint(entry.name) if entry.is_dir() else "files go in <YYYY-MM>/<feed>/"
            problem = _boundary_problem(landing, entry)
            entries.append(problem or LandingEntry(entry.name, reason, REFUSED, hint))
            continue
        entries.extend(_month_report(landing, entry, parsed))
    return entries


def _looks_like(name: str, month: date) -> bool:
    m = _MONTH_LIKE.fullmatch(name.strip())
    return m is not None and int(m[1]) == month.year and int(m[2]) == month.month


def _month_report(landing: Path, folder: Path, month: date) -> list[LandingEntry]:
    problem = _boundary_problem(landing, folder)
    if problem is not None:
        return [_at(problem, month, None)]
    entries: list[LandingEntry] = []
    for sub in sorted(folder.iterdir(), key=lambda p: p.name):
        if _skipped(sub.name):
            continue
        rel = _rel(landing, sub)
        if sub.name in contracts.FEEDS:
            taken, found = feed_entries(landing, month, sub.name)
            entries.extend(found)
            entries.extend(_duplicates_by_content(landing, month, sub.name, taken))
        elif sub.is_dir() or sub.is_symlink():
            entries.append(_boundary_problem(landing, sub) or LandingEntry(
                rel, "unknown_feed_folder", REFUSED, feed_hint(sub.name), month))
        else:
            entries.append(LandingEntry(rel, "stray_file", REFUSED,
                                        "files go in a feed folder: <YYYY-MM>/<feed>/", month))
    return entries


def record_landing_report(
    url: str, entries: Iterable[LandingEntry], run_id: str | None = None
) -> int:
    """Keep a landing report in ``ops.landing_issue`` (one row per entry); returns the count."""
    import psycopg

    rows = [(run_id, e.month, e.feed, e.path, e.reason, e.severity, e.hint or None)
            for e in entries]
    if not rows:
        return 0
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.executemany(
            "insert into ops.landing_issue (run_id, month, feed, path, reason, severity, hint)"
            " values (%s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    for row in rows:
        log.warning("landing: %s: %s (%s) %s", row[3], row[4], row[5], row[6] or "")
    return len(rows)
