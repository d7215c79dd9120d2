"""Files on disk: landing files in clean or messy form, the truth, arrival times.

Clean rows go out exactly as the canonical strings of ``tables`` (UTF-8, English headers),
which is also what the truth records, so the fast path is one ``join`` per row. Messy
files and rows are derived from the same canonical strings by ``messy``; invalid rows are
recorded in ``invalid_rows.csv`` of the truth with their reason code and never in the
feed's truth file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from fangpin.domain.months import next_month
from fangpin.synth import contract as c
from fangpin.synth import messy as m
from fangpin.synth.tables import Frame

TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
SPLIT_FEEDS = frozenset({"education", "medical"})
XLSX_MAX_ROWS = 50_000  # bigger files are never made XLSX (openpyxl speed, sheet limits)
INVALID_SHARE = 0.02  # share of rows made invalid = messy * INVALID_SHARE
MESSY_FORMS = ("utf-8-sig", "gb18030", "xlsx")
HEADER_STYLES = ("zh", "en_messy", "zh_messy", "en")
DUE_DAY = 5
CHUNK_ROWS = 200_000  # rows formatted and written at a time (bounds memory)


def month_key(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


@dataclass
class FileRecord:
    """One landing file, as recorded in the truth manifest."""

    path: str  # relative to the landing folder, POSIX separators
    name: str  # file name: the ``_file`` of the truth rows and of invalid_rows.csv
    month: str
    feed: str
    rows: int  # data rows in the file (valid + invalid)
    valid_rows: int
    invalid_rows: int
    messy_rows: int
    arrival: str  # ISO 8601 with +08:00; also the file's modification time
    mtime: float
    on_time: bool
    format: str  # csv | xlsx
    encoding: str | None  # utf-8 | utf-8-sig | gb18030 (None for xlsx)
    header: str  # en | en_messy | zh | zh_messy
    extra_columns: list[str] = field(default_factory=list)
    shuffled_columns: bool = False
    forms: dict[str, int] = field(default_factory=dict)


@dataclass
class _Form:
    fmt: str = "csv"
    encoding: str | None = "utf-8"
    header: str = "en"
    extra: tuple[str, ...] = ()
    shuffle: bool = False

    @property
    def clean(self) -> bool:
        return (
            self.fmt == "csv"
            and self.encoding == "utf-8"
            and self.header == "en"
            and not self.extra
            and not self.shuffle
        )


def delivery_plan(months: tuple[dt.date, ...], seed: int) -> dict[tuple[int, str], dt.datetime]:
    """When each (month index, feed) arrives; absent pairs are missing from the plan.

    The registry arrives every month, early. Water is inspected every other month and
    housing skips one month (from three months on), so with three months or more some feed
    is absent. About one delivery in six is late (after day ``DUE_DAY`` of the next month),
    and at least one is, from three months on.
    """
    rng = np.random.default_rng([seed, 0xA77])
    n = len(months)
    skip_housing = int(rng.integers(1, n)) if n >= 3 else -1
    plan: dict[tuple[int, str], dt.datetime] = {}
    late_any = False
    for mi, month in enumerate(months):
        nxt = next_month(month)
        registry_day = int(rng.integers(1, 4))
        registry_time = (int(rng.integers(8, 12)), int(rng.integers(0, 60)))
        for feed in c.FEED_NAMES:
            u, late_day, day = rng.random(), int(rng.integers(6, 17)), int(rng.integers(1, 6))
            hour, minute = int(rng.integers(8, 19)), int(rng.integers(0, 60))
            if feed == "water" and mi % 2 == 1 or feed == "housing" and mi == skip_housing:
                continue
            if feed.startswith("registry_"):
                day, (hour, minute) = registry_day, registry_time
            elif u < 0.17:
                day, late_any = late_day, True
            plan[(mi, feed)] = dt.datetime(nxt.year, nxt.month, day, hour, minute, tzinfo=TZ)
    if n >= 3 and not late_any:
        old = plan[(1, "education")]
        plan[(1, "education")] = old.replace(day=9)
    return plan


def _csv_text(rows: Iterable[Iterable[str]]) -> str:
    """RFC 4180 text of rows (quoting only where needed, CRLF line ends)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def _join(cols: list[list[str]]) -> list[str]:
    return list(map(",".join, zip(*cols, strict=True)))


def _normalise_xlsx(path: Path, when: dt.datetime) -> None:
    """Make an XLSX byte-reproducible: fixed zip timestamps and document dates."""
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as z:
        items = [(info.filename, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            if name == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    lambda mt: mt.group(1) + stamp + mt.group(3),
                    data,
                )
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


class ProvinceWriter:
    """Writes frames as landing files plus truth, and keeps the manifest entries."""

    def __init__(
        self, out: Path, truth: Path, seed: int, messy: float, city_codes: np.ndarray
    ) -> None:
        self.out = out
        self.truth = truth
        self.seed = seed
        self.messy = float(messy)
        self.city_codes = city_codes
        self.files: list[FileRecord] = []
        self.rows_per_feed: dict[str, int] = {f: 0 for f in c.FEED_NAMES}
        self.invalid_total = 0
        self._form_counter = 0
        self._header_counter = 0
        self._invalid_counter: dict[str, int] = {f: 0 for f in c.FEED_NAMES}
        self._lines: list[str] = []

    def _line_numbers(self, start: int, stop: int) -> list[str]:
        """Line numbers of data rows ``start`` .. ``stop - 1`` (header is line 1), cached."""
        have = len(self._lines)
        if have < stop:
            self._lines.extend(map(str, range(have + 2, max(stop, 2 * have) + 2)))
        return self._lines[start:stop]

    # ----------------------------------------------------------------- folders
    def prepare_month(self, month: dt.date) -> None:
        """Empty this month's feed folders (a regenerated month replaces the old one)."""
        key = month_key(month)
        for feed in c.FEED_NAMES:
            folder = self.out / key / feed
            if folder.exists():
                shutil.rmtree(folder)
        tfolder = self.truth / key
        if tfolder.exists():
            shutil.rmtree(tfolder)
        tfolder.mkdir(parents=True, exist_ok=True)
        self._invalid_fh = (tfolder / "invalid_rows.csv").open("w", encoding="utf-8", newline="")
        self._invalid = csv.writer(self._invalid_fh, lineterminator="\n")
        self._invalid.writerow(["feed", "file", "line", "reason", "column", "value"])

    def finish_month(self) -> None:
        self._invalid_fh.close()

    # ------------------------------------------------------------------- forms
    def _form(self, rng: np.random.Generator, rows: int) -> _Form:
        if self.messy <= 0 or rng.random() >= self.messy:
            return _Form()
        kind = MESSY_FORMS[self._form_counter % len(MESSY_FORMS)]
        self._form_counter += 1
        if kind == "xlsx" and rows > XLSX_MAX_ROWS:
            kind = MESSY_FORMS[self._form_counter % len(MESSY_FORMS)]
            self._form_counter += 1
            if kind == "xlsx":
                kind = "utf-8-sig"
        style = HEADER_STYLES[self._header_counter % len(HEADER_STYLES)]
        self._header_counter += 1
        extra: tuple[str, ...] = ()
        if rng.random() < 0.5:
            k = int(rng.integers(1, 3))
            picked = sorted(rng.choice(len(m.EXTRA_COLUMNS), size=k, replace=False))
            extra = tuple(m.EXTRA_COLUMNS[i] for i in picked)
        return _Form(
            fmt="xlsx" if kind == "xlsx" else "csv",
            encoding=None if kind == "xlsx" else kind,
            header=style,
            extra=extra,
            shuffle=bool(rng.random() < 0.3),
        )

    # ------------------------------------------------------------------ frames
    def write_frame(
        self, frame: Frame, mi: int, month: dt.date, arrival: dt.datetime
    ) -> list[FileRecord]:
        feed = frame.feed
        spec = c.FEEDS[feed]
        fi = c.FEED_NAMES.index(feed)
        key = month_key(month)
        n = frame.n_rows
        rng = np.random.default_rng([self.seed, 0xF00D, mi, fi])
        messy_mask: np.ndarray | None
        invalid_mask: np.ndarray | None
        if self.messy > 0:
            messy_mask = rng.random(n) < self.messy
            invalid_mask = rng.random(n) < self.messy * INVALID_SHARE
        else:
            messy_mask = invalid_mask = None
        if feed in SPLIT_FEEDS and frame.city is not None:
            order = np.argsort(frame.city.astype(np.int16), kind="stable")  # radix sort
            cities, counts = np.unique(frame.city[order], return_counts=True)
            bounds = np.concatenate([[0], np.cumsum(counts)])
            groups = [
                (f"{feed}_{key}_{self.city_codes[ci]}", order[bounds[k] : bounds[k + 1]])
                for k, ci in enumerate(cities.tolist())
            ]
        else:
            groups = [(f"{feed}_{key}", np.arange(n))]
        folder = self.out / key / feed
        folder.mkdir(parents=True, exist_ok=True)
        records = []
        with (self.truth / key / f"{feed}.csv").open("wb") as tf:
            tf.write(("_file,_line," + ",".join(col.name for col in spec) + "\n").encode())
            for file_no, (name, idx) in enumerate(groups):
                when = arrival + dt.timedelta(minutes=7 * file_no)
                records.append(
                    self._write_file(
                        tf,
                        frame,
                        spec,
                        mi,
                        fi,
                        file_no,
                        key,
                        folder,
                        name,
                        idx,
                        when,
                        None if messy_mask is None else np.flatnonzero(messy_mask[idx]),
                        None if invalid_mask is None else np.flatnonzero(invalid_mask[idx]),
                    )
                )
        return records

    def _write_file(
        self,
        tf: BinaryIO,
        frame: Frame,
        spec: tuple[c.Column, ...],
        mi: int,
        fi: int,
        file_no: int,
        key: str,
        folder: Path,
        name: str,
        idx: np.ndarray,
        when: dt.datetime,
        messy_rows: np.ndarray | None,
        invalid_rows: np.ndarray | None,
    ) -> FileRecord:
        """Write one landing file chunk by chunk (bounded memory), and its truth rows."""
        feed = frame.feed
        frng = np.random.default_rng([self.seed, 0xF11E, mi, fi, file_no])
        form = self._form(frng, len(idx))
        ext = "xlsx" if form.fmt == "xlsx" else "csv"
        rel = f"{key}/{feed}/{name}.{ext}"
        path = folder / f"{name}.{ext}"
        n = len(idx)
        invalid = invalid_rows if invalid_rows is not None else np.zeros(0, np.int64)
        messy_idx = messy_rows if messy_rows is not None else np.zeros(0, np.int64)
        plain = form.clean and not len(messy_idx) and not len(invalid)
        forms: dict[str, int] = {}

        # layout of the file: header style, column order, extra columns
        headers = m.header(spec, form.header, frng)
        order = list(range(len(spec)))
        if form.shuffle:
            order = [int(k) for k in frng.permutation(len(spec))]
        headers = [headers[k] for k in order]
        col_specs: list[c.Column | None] = [spec[k] for k in order]
        for extra in form.extra:
            if extra == "序号":
                headers.insert(0, extra)
                col_specs.insert(0, None)
            else:
                headers.append(extra)
                col_specs.append(None)

        encoding = "utf-8" if form.encoding in (None, "utf-8-sig") else str(form.encoding)
        fh = None if form.fmt == "xlsx" else path.open("wb")
        sheet_rows: list[list[str]] = []
        try:
            if fh is not None:
                if form.encoding == "utf-8-sig":
                    fh.write(b"\xef\xbb\xbf")
                fh.write(_csv_text([headers]).encode(encoding))
            for start in range(0, max(n, 1), CHUNK_ROWS):
                stop = min(n, start + CHUNK_ROWS)
                if stop <= start:
                    break
                cols = frame.take(idx[start:stop])
                canon = _join([col.tolist() for col in cols])
                inv = invalid[(invalid >= start) & (invalid < stop)] - start
                mes = messy_idx[(messy_idx >= start) & (messy_idx < stop)] - start
                self._write_truth(tf, path.name, canon, start, inv)
                if plain:
                    assert fh is not None
                    fh.write(("\r\n".join(canon) + "\r\n").encode(encoding))
                    continue
                ocols = [col.copy() for col in cols]
                for kind, count in m.messy_columns(spec, ocols, mes, frng).items():
                    forms[kind] = forms.get(kind, 0) + count
                for i in inv.tolist():
                    row = [col[i] for col in cols]
                    j, bad, reason = m.corrupt_row(spec, row, self._invalid_counter[feed], frng)
                    self._invalid_counter[feed] += 1
                    ocols[j][i] = bad
                    self._invalid.writerow(
                        [feed, path.name, start + i + 2, reason, spec[j].name, bad]
                    )
                    forms[f"invalid:{reason}"] = forms.get(f"invalid:{reason}", 0) + 1
                values = [ocols[k].tolist() for k in order]
                for extra in form.extra:
                    vals = m.extra_values(extra, start, stop - start, self._month_of(key), feed)
                    if extra == "序号":
                        values.insert(0, vals)
                    else:
                        values.append(vals)
                if fh is None:
                    sheet_rows.extend(map(list, zip(*values, strict=True)))
                else:
                    fh.write(_csv_text(zip(*values, strict=True)).encode(encoding))
        finally:
            if fh is not None:
                fh.close()
        if form.fmt == "xlsx":
            self._write_xlsx(path, headers, sheet_rows, col_specs, when)
        ts = when.timestamp()
        os.utime(path, (ts, ts))
        n_invalid = len(invalid)
        self.rows_per_feed[feed] += n
        self.invalid_total += n_invalid
        due = dt.datetime.combine(
            self._next_month(key).replace(day=DUE_DAY), dt.time(23, 59, 59), tzinfo=TZ
        )
        rec = FileRecord(
            path=rel,
            name=path.name,
            month=key,
            feed=feed,
            rows=n,
            valid_rows=n - n_invalid,
            invalid_rows=n_invalid,
            messy_rows=len(messy_idx),
            arrival=when.isoformat(),
            mtime=ts,
            on_time=when <= due,
            format=form.fmt,
            encoding=form.encoding,
            header=form.header,
            extra_columns=list(form.extra),
            shuffled_columns=form.shuffle,
            forms=forms,
        )
        self.files.append(rec)
        return rec

    def _write_truth(
        self, tf: BinaryIO, name: str, canon: list[str], start: int, invalid: np.ndarray
    ) -> None:
        """Valid rows of a chunk with the file name and line the loader will report."""
        lines = self._line_numbers(start, start + len(canon))
        if len(invalid):
            keep = np.ones(len(canon), dtype=bool)
            keep[invalid] = False
            kept = np.flatnonzero(keep).tolist()
            canon, lines = [canon[i] for i in kept], [lines[i] for i in kept]
        if canon:
            sep = "\n" + name + ","
            text = name + "," + sep.join(map(",".join, zip(lines, canon, strict=True))) + "\n"
            tf.write(text.encode("utf-8"))

    @staticmethod
    def _month_of(key: str) -> dt.date:
        return dt.date(int(key[:4]), int(key[5:7]), 1)

    @classmethod
    def _next_month(cls, key: str) -> dt.date:
        return next_month(cls._month_of(key))

    @staticmethod
    def _write_xlsx(
        path: Path,
        headers: list[str],
        rows: list[list[str]],
        col_specs: list[c.Column | None],
        when: dt.datetime,
    ) -> None:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Sheet1")
        ws.append(headers)
        ncol = len(headers)
        for r, row in enumerate(rows):
            ws.append([m.xlsx_cell(col_specs[j], row[j], r * 7 + j * 3) for j in range(ncol)])
        wb.save(path)
        _normalise_xlsx(path, when)


def manifest_dict(records: list[FileRecord]) -> list[dict[str, object]]:
    return [asdict(r) for r in records]
