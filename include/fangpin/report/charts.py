"""The report's charts, drawn as inline SVG: nothing to fetch, and they print as vectors.

Every value axis starts where the data does (``nice_axis``), not at 0: scores of 79-97 on a
0-100 axis look like equal bars. A chart whose axis does not start at 0 says so in its own
text ("axis starts at 75"), so a reader comparing bar lengths knows they measure the distance
from that line, not the value.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from fangpin.report.data import RATES, CountyLine, TrendPoint

COUNTY_COLOUR = "#2b6cb0"
PROVINCE_COLOUR = "#c53030"
MISSED_COLOUR = "#dd6b20"
OPEN_COLOUR = "#6b46c1"
GRID = "#e2e8f0"


@dataclass(frozen=True)
class Axis:
    """A value axis: from ``start`` to ``end`` in steps of ``step``."""

    start: float
    end: float
    step: float

    @property
    def ticks(self) -> list[float]:
        count = round((self.end - self.start) / self.step)
        return [self.start + i * self.step for i in range(count + 1)]

    def share(self, value: float) -> float:
        """Where ``value`` sits on the axis, 0 at the start and 1 at the end (clamped)."""
        span = self.end - self.start
        return max(min((value - self.start) / span, 1.0), 0.0) if span else 0.0


def nice_axis(values: Sequence[float], ceiling: float | None = None, ticks: int = 4) -> Axis:
    """An axis from a round number below the smallest value to one above the largest.

    The step is 1, 2 or 5 times a power of ten giving about ``ticks`` intervals; the start is
    the step multiple below the smallest value less a tenth of the range (a bar of the lowest
    value keeps a visible length). When that start is within one step of 0 the axis starts at
    0. ``ceiling`` caps the end (100 for scores, 1 for rates).
    """
    if not values:
        return Axis(0.0, ceiling or 1.0, (ceiling or 1.0) / ticks)
    low, high = min(values), max(values)
    span = high - low or abs(high) or 1.0
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(s * magnitude for s in (1, 2, 5, 10) if s * magnitude >= raw * 0.999)
    start = math.floor((low - span / 10) / step) * step
    if start <= step or low <= 0:
        start = 0.0
    end = math.ceil(high / step) * step
    if end <= high:
        end += step
    if ceiling is not None:
        end = min(end, ceiling)
    start, end, step = (round(x, 10) for x in (start, end, step))
    return Axis(start, max(end, start + step), step)


def axis_note(axis: Axis, fmt: str = "{:g}") -> str:
    """The words a chart carries when its axis does not start at 0."""
    if axis.start == 0:
        return ""
    return f"axis starts at {fmt.format(axis.start)} (坐标轴起点 {fmt.format(axis.start)})"


def score_chart(counties: Sequence[CountyLine]) -> str:
    """Horizontal bars, one per key county in rank order, with the key-county mean."""
    label_w, bar_w, row_h, top = 170, 620, 20, 40
    width, height = label_w + bar_w + 70, top + row_h * max(len(counties), 1) + 28
    scores = [c.score for c in counties if c.score is not None]
    axis = nice_axis(scores, ceiling=100)
    mean = sum(scores) / len(scores) if scores else None
    parts = [svg_open("scores", width, height, "Score of each key county", axis=axis)]
    parts.append(_note(label_w, 12, axis_note(axis)))
    parts.append(_x_axis(label_w, bar_w, top, height - 22, axis, "{:g}"))
    for i, c in enumerate(counties):
        y = top + i * row_h
        w = bar_w * (axis.share(c.score) if c.score is not None else 0)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">'
            f"{c.key_rank}. {e(c.county_name)}</text>"
            f'<rect class="bar score-bar" data-county="{e(c.county_code)}" x="{label_w}" '
            f'y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{COUNTY_COLOUR}">'
            f"<title>{e(c.county_name)}: {num(c.score)}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="11">{num(c.score)}</text>'
        )
    if mean is not None:
        x = label_w + bar_w * axis.share(mean)
        parts.append(
            f'<line class="mean" x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{height - 22}" '
            f'stroke="{PROVINCE_COLOUR}" stroke-dasharray="4 3" stroke-width="1.5"/>'
            f'<text x="{x + 4:.1f}" y="{top - 10}" font-size="11" fill="{PROVINCE_COLOUR}">'
            f"key-county mean {mean:.1f}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def trend_multiples(counties: Sequence[CountyLine], trend: Sequence[TrendPoint],
                    months: Sequence[date]) -> str:
    """One small line chart per key county: its score each published month, on one axis.

    The grey dashed line is the key counties' mean score of each month, the same in every
    chart, so a county's line reads against the others'.
    """
    scores = [p.score for p in trend if p.score is not None]
    axis = nice_axis(scores, ceiling=100)
    by_county: dict[str, dict[date, float]] = {}
    for p in trend:
        if p.score is not None:
            by_county.setdefault(p.county_code, {})[p.month] = p.score
    means = {}
    for m in months:
        values = [p.score for p in trend if p.month == m and p.score is not None]
        if values:
            means[m] = sum(values) / len(values)
    figures = [
        f'<figure data-county="{e(c.county_code)}">'
        f"{_trend_chart(c, by_county.get(c.county_code, {}), means, months, axis)}"
        f"<figcaption>{c.key_rank or '-'}. {e(c.county_name)} · {num(c.score)}</figcaption>"
        "</figure>"
        for c in counties
    ]
    note = axis_note(axis)
    head = (f'<p class="meta axis-note" data-chart="trends">Every chart: {e(note)}, up to '
            f"{axis.end:g}.</p>" if note else "")
    return head + '<div class="multiples trends">' + "".join(figures) + "</div>"


def _trend_chart(county: CountyLine, scores: dict[date, float], means: dict[date, float],
                 months: Sequence[date], axis: Axis) -> str:
    width, height, left, right, top, plot_h = 180, 110, 28, 10, 8, 72
    plot_w = width - left - right
    parts = [svg_open("trend", width, height, f"Score of {county.county_name} by month",
                      county=county.county_code, axis=axis)]
    for tick in axis.ticks:
        y = top + plot_h * (1 - axis.share(tick))
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 3}" y="{y + 3:.1f}" text-anchor="end" font-size="9">{tick:g}</text>'
        )

    def x_of(i: int) -> float:
        return left + (plot_w * i / (len(months) - 1) if len(months) > 1 else plot_w / 2)

    for i, m in enumerate(months):
        parts.append(
            f'<text x="{x_of(i):.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
            f'font-size="9">{m:%m}月</text>'
        )

    def path(values: dict[date, float]) -> str:
        return " ".join(
            f"{x_of(i):.1f},{top + plot_h * (1 - axis.share(values[m])):.1f}"
            for i, m in enumerate(months) if m in values
        )

    if len(means) > 1:
        parts.append(f'<polyline class="mean-line" points="{path(means)}" fill="none" '
                     'stroke="#a0aec0" stroke-dasharray="3 2" stroke-width="1"/>')
    if len(scores) > 1:
        parts.append(f'<polyline class="score-line" points="{path(scores)}" fill="none" '
                     f'stroke="{COUNTY_COLOUR}" stroke-width="2"/>')
    for i, m in enumerate(months):
        if m in scores:
            y = top + plot_h * (1 - axis.share(scores[m]))
            parts.append(
                f'<circle class="score-point" data-month="{m:%Y-%m}" '
                f'data-score="{scores[m]:.2f}" cx="{x_of(i):.1f}" cy="{y:.1f}" r="2.5" '
                f'fill="{COUNTY_COLOUR}"><title>{m:%Y-%m}: {scores[m]:.2f}</title></circle>'
            )
    parts.append("</svg>")
    return "".join(parts)


def rate_multiples(counties: Sequence[CountyLine], province: dict[str, float | None]) -> str:
    """One small chart per key county: its seven rates as bars, the province as red ticks.

    All the charts share one axis, from a round share below the lowest rate shown.
    """
    values = [v for c in counties for v in c.rates.values() if v is not None]
    values += [v for v in province.values() if v is not None]
    axis = nice_axis(values, ceiling=1.0)
    figures = [
        f'<figure data-county="{e(c.county_code)}">'
        f"{_rate_chart(c, province, axis)}"
        f"<figcaption>{c.key_rank or '-'}. {e(c.county_name)} · {num(c.score)}</figcaption>"
        "</figure>"
        for c in counties
    ]
    note = axis_note(axis, fmt="{:.0%}")
    head = (f'<p class="meta axis-note" data-chart="rates">Every chart: {e(note)}, up to '
            f"{axis.end:.0%}.</p>" if note else "")
    return head + '<div class="multiples">' + "".join(figures) + "</div>"


def _rate_chart(county: CountyLine, province: dict[str, float | None], axis: Axis) -> str:
    width, height, left, top, plot_h, bar_w, gap = 230, 140, 30, 8, 100, 20, 8
    parts = [
        svg_open("rates", width, height,
                 f"Seven rates of {county.county_name} against the province",
                 county=county.county_code, axis=axis)
    ]
    for tick in axis.ticks:
        y = top + plot_h * (1 - axis.share(tick))
        parts.append(
            f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 3}" y="{y + 4:.1f}" text-anchor="end" font-size="9">'
            f"{tick * 100:.0f}</text>"
        )
    for i, (column, english, chinese) in enumerate(RATES):
        x = left + 4 + i * (bar_w + gap)
        value, ref = county.rates.get(column), province.get(column)
        if value is not None:
            h = plot_h * axis.share(value)
            parts.append(
                f'<rect class="bar rate-bar" data-rate="{column}" x="{x}" '
                f'y="{top + plot_h - h:.1f}" width="{bar_w}" height="{h:.1f}" '
                f'fill="{COUNTY_COLOUR}">'
                f"<title>{e(chinese)} {e(english)}: {pct(value)} (province {pct(ref)})</title>"
                "</rect>"
            )
        else:
            parts.append(
                f'<text x="{x + bar_w / 2}" y="{top + plot_h - 4}" text-anchor="middle" '
                f'font-size="9">n/a</text>'
            )
        if ref is not None:
            y = top + plot_h * (1 - axis.share(ref))
            parts.append(
                f'<line class="province-mark" data-rate="{column}" x1="{x - 2}" '
                f'x2="{x + bar_w + 2}" y1="{y:.1f}" y2="{y:.1f}" stroke="{PROVINCE_COLOUR}" '
                'stroke-width="2"/>'
            )
        parts.append(
            f'<text x="{x + bar_w / 2}" y="{top + plot_h + 14}" text-anchor="middle" '
            f'font-size="10">{e(chinese[:2])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def problem_chart(counties: Sequence[CountyLine]) -> str:
    """Two bars per key county: missed identifications and open problems (counts, from 0)."""
    label_w, bar_w, row_h, top = 170, 560, 20, 24
    width, height = label_w + bar_w + 60, top + row_h * max(len(counties), 1) + 8
    peak = max([1, *(max(c.missed_identifications, c.open_problems) for c in counties)])
    parts = [svg_open("problems", width, height, "Missed identifications and open problems")]
    parts.append(
        f'<rect x="{label_w}" y="4" width="10" height="10" fill="{MISSED_COLOUR}"/>'
        f'<text x="{label_w + 14}" y="13" font-size="11">应纳未纳 missed identifications</text>'
        f'<rect x="{label_w + 230}" y="4" width="10" height="10" fill="{OPEN_COLOUR}"/>'
        f'<text x="{label_w + 244}" y="13" font-size="11">未整改问题 open problems</text>'
    )
    for i, c in enumerate(counties):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="12">'
            f"{e(c.county_name)}</text>"
        )
        for j, (kind, value, colour) in enumerate(
            (("missed", c.missed_identifications, MISSED_COLOUR),
             ("open", c.open_problems, OPEN_COLOUR))
        ):
            w = bar_w * value / peak
            by = y + 2 + j * 8
            parts.append(
                f'<rect class="bar {kind}-bar" data-county="{e(c.county_code)}" '
                f'data-value="{value}" x="{label_w}" y="{by}" width="{w:.1f}" height="7" '
                f'fill="{colour}"><title>{e(c.county_name)} {kind}: {value}</title></rect>'
                f'<text x="{label_w + w + 3:.1f}" y="{by + 7}" font-size="8">{value}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def svg_open(chart: str, width: int, height: int, label: str, county: str | None = None,
             axis: Axis | None = None) -> str:
    extra = f' data-county="{e(county)}"' if county else ""
    if axis is not None:
        extra += f' data-axis-start="{axis.start:g}" data-axis-end="{axis.end:g}"'
    return (
        f'<svg class="chart" data-chart="{chart}"{extra} xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{e(label)}">'
    )


def _note(x: int, y: int, text: str) -> str:
    if not text:
        return ""
    return (f'<text class="axis-note" x="{x}" y="{y}" font-size="11" fill="#4a5568">'
            f"{e(text)}</text>")


def _x_axis(left: int, width: int, top: int, bottom: int, axis: Axis, fmt: str) -> str:
    parts = []
    for tick in axis.ticks:
        x = left + width * axis.share(tick)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{bottom}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" font-size="10">'
            f"{fmt.format(tick)}</text>"
        )
    return "".join(parts)


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f}%"
