"""``write_province``: the generated province, month by month, with its truth.

The generator is the warehouse's test oracle and benchmark load. It walks the months in
order, moving one ``State`` forward and writing every delivered feed as a full snapshot;
the same seed always gives the same bytes (file contents and modification times).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from fangpin.synth import contract as c
from fangpin.synth.dynamics import State
from fangpin.synth.geo import load_geography
from fangpin.synth.population import build_world
from fangpin.synth.tables import FrameBuilder
from fangpin.synth.writer import (
    DUE_DAY,
    INVALID_SHARE,
    ProvinceWriter,
    delivery_plan,
    manifest_dict,
    month_key,
)

GENERATOR_VERSION = 1


@dataclass(frozen=True)
class ProvinceSummary:
    """What a run produced: enough for the CLI to print and for a benchmark to time."""

    out: Path
    truth: Path
    households: int  # registered households in the first month
    persons: int  # registered persons in the first month
    months: tuple[str, ...]
    files_written: int
    rows_per_feed: dict[str, int] = field(default_factory=dict)
    invalid_rows: int = 0
    seconds: float = 0.0

    @property
    def rows_total(self) -> int:
        return sum(self.rows_per_feed.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows_total / self.seconds if self.seconds else 0.0


def _check_months(months: list[dt.date]) -> tuple[dt.date, ...]:
    if not months:
        raise ValueError("at least one month is needed")
    out = tuple(months)
    for d in out:
        if not isinstance(d, dt.date) or d.day != 1:
            raise ValueError(f"months must be first-of-month dates, got {d!r}")
    if list(out) != sorted(set(out)):
        raise ValueError("months must be increasing and distinct")
    return out


def write_province(
    out: Path, households: int, months: list[dt.date], seed: int, messy: float = 0.0,
    truth: Path | None = None,
) -> ProvinceSummary:
    """Generate the province into ``out/<YYYY-MM>/<feed>/`` and its truth into ``truth``.

    ``households`` is the size of the registry in the first month (households join and
    leave later); ``messy`` is the share (0..1) of files and of rows in a messy form, and
    ``messy * 0.02`` the share of rows made invalid. Months already present in ``out`` are
    replaced feed folder by feed folder; other months are left alone.
    """
    months_written = province_months(out, households, months, seed, messy, truth)
    while True:
        try:
            next(months_written)
        except StopIteration as done:
            return done.value


def province_months(
    out: Path,
    households: int,
    months: list[dt.date],
    seed: int,
    messy: float = 0.0,
    truth: Path | None = None,
) -> Generator[dt.date, None, ProvinceSummary]:
    """:func:`write_province` one month at a time: yields each month once its files are written.

    Why: a long history (60 months of a million households is about 100 GB of files) does not
    fit on a disk at once. A consumer that loads a month and removes its folder before asking
    for the next keeps one month on disk; the bytes are the same as ``write_province``'s,
    because the months are still generated in order from one ``State``. The manifest is
    written after the last month, and the summary is the generator's return value.
    """
    if households < 1:
        raise ValueError("households must be positive")
    if not 0.0 <= messy <= 1.0:
        raise ValueError("messy is a share between 0 and 1")
    started = time.perf_counter()
    out = Path(out)
    truth = Path(truth) if truth is not None else out / "_truth"
    month_tuple = _check_months(months)
    geo = load_geography(seed)
    world = build_world(geo, households, month_tuple, seed)
    state = State(world, seed)
    plan = delivery_plan(month_tuple, seed)
    writer = ProvinceWriter(out, truth, seed, messy, geo.cities)
    first_households = int(world.registered(0).sum())
    first_persons = int(world.h_size[world.registered(0)].sum())
    per_month: dict[str, dict[str, object]] = {}
    paused = 0.0  # time the consumer spent between yields: not generation
    for mi, month in enumerate(month_tuple):
        if mi:
            state.advance(mi)
        builder = FrameBuilder(state)
        writer.prepare_month(month)
        delivered: dict[str, object] = {}
        for feed in c.FEED_NAMES:
            arrival = plan.get((mi, feed))
            if arrival is None:
                continue
            frame = builder.build(feed)
            records = writer.write_frame(frame, mi, month, arrival)
            delivered[feed] = {
                "arrival": records[0].arrival if records else arrival.isoformat(),
                "on_time": all(r.on_time for r in records),
                "files": [r.path for r in records],
                "rows": sum(r.rows for r in records),
                "valid_rows": sum(r.valid_rows for r in records),
                "invalid_rows": sum(r.invalid_rows for r in records),
            }
            del frame
        writer.finish_month()
        reg = world.registered(mi)
        per_month[month_key(month)] = {
            "delivered": list(delivered),
            "absent": [f for f in c.FEED_NAMES if f not in delivered],
            "registered_households": int(reg.sum()),
            "registered_persons": int(world.h_size[reg].sum()),
            "feeds": delivered,
        }
        handed_over = time.perf_counter()
        yield month
        paused += time.perf_counter() - handed_over
    seconds = time.perf_counter() - started - paused
    manifest = {
        "generator": "fangpin.synth",
        "version": GENERATOR_VERSION,
        "seed": seed,
        "households": households,
        "messy": messy,
        "invalid_share": messy * INVALID_SHARE,
        "due_day": DUE_DAY,
        "timezone": "+08:00",
        "months": [month_key(mo) for mo in month_tuple],
        "reason_codes": list(c.REASON_CODES),
        "per_month": per_month,
        "files": manifest_dict(writer.files),
        "rows_per_feed": writer.rows_per_feed,
        "invalid_rows": writer.invalid_total,
    }
    truth.mkdir(parents=True, exist_ok=True)
    (truth / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return ProvinceSummary(
        out=out,
        truth=truth,
        households=first_households,
        persons=first_persons,
        months=tuple(month_key(mo) for mo in month_tuple),
        files_written=len(writer.files),
        rows_per_feed=dict(writer.rows_per_feed),
        invalid_rows=writer.invalid_total,
        seconds=seconds,
    )
