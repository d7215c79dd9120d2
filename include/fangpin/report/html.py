"""``fangpin report``: the evaluation report of one published month, as one HTML file.

The report is read by people who print it, mail it and open it on machines without network
access, so it is fully self-contained: inline CSS, charts drawn here as inline SVG, no script,
no font, stylesheet or image from anywhere else. It reads only the published ``marts`` schema,
the same interface evaluators query, so it shows what they can check.

Contents: headline figures; the ranking of the key assistance counties (重点帮扶县) with their
seven rates coloured against the province; a bar chart of the scores; each key county's seven
rates against the province (small multiples); missed identifications and open problems per
county; the month's feed reporting.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

from fangpin.warehouse.connection import one_row

#: The seven scored rates (docs/contract/RULES.md "County scorecard"): column, English, Chinese.
RATES: tuple[tuple[str, str, str], ...] = (
    ("education_rate", "Education", "义务教育保障率"),
    ("medical_rate", "Medical", "参保率"),
    ("housing_rate", "Housing", "住房安全保障率"),
    ("water_rate", "Water", "饮水安全保障率"),
    ("employment_rate", "Employment", "务工就业率"),
    ("identification_rate", "Identification", "精准识别率"),
    ("rectification_rate", "Rectification", "问题整改率"),
)

COUNTY_COLOUR = "#2b6cb0"
PROVINCE_COLOUR = "#c53030"
MISSED_COLOUR = "#dd6b20"
OPEN_COLOUR = "#6b46c1"


class NothingPublished(LookupError):
    """The month has no published scorecard: there is nothing to report."""


@dataclass(frozen=True)
class CountyLine:
    """One key county's line of the report."""

    county_code: str
    county_name: str
    city_name: str
    key_rank: int | None
    key_rank_change: int | None
    score: float | None
    score_change: float | None
    households: int
    missed_identifications: int
    open_problems: int
    evaluating_city_name: str | None
    rates: dict[str, float | None]


@dataclass(frozen=True)
class FeedLine:
    feed: str
    feed_name_zh: str
    arrived: bool
    on_time: bool
    days_late: int | None
    rows_loaded: int
    rows_quarantined: int
    coverage: float | None


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, read from ``marts`` in one go."""

    month: date
    published: dict
    counties: list[CountyLine]
    province_rates: dict[str, float | None]
    households: int
    persons: int
    missed_identifications: int
    open_problems: int
    feeds: list[FeedLine] = field(default_factory=list)


# --- reading the marts ---------------------------------------------------------------------

_COUNTIES = """
with open_problems as (
    select county_code, count(*) as open_problems
    from marts.fct_problem
    where found_month <= %(month)s
      and (closed_month is null or closed_month > %(month)s)
    group by county_code
)
select s.county_code, coalesce(s.county_name, d.county_name), coalesce(s.city_name, d.city_name),
       s.key_rank, s.key_rank_change, s.score, s.score_change, s.households,
       s.missed_identifications, coalesce(o.open_problems, 0), a.evaluating_city_name,
       {rates}
from marts.mart_county_scorecard s
join marts.dim_county d on d.county_code = s.county_code
left join open_problems o on o.county_code = s.county_code
left join marts.mart_evaluation_assignment a
       on a.county_code = s.county_code and a.year = extract(year from s.month)
where s.month = %(month)s and d.is_key_county
order by s.key_rank nulls last, s.county_code
"""

_PROVINCE = """
select
    count(*),
    coalesce(sum(member_count), 0),
    count(*) filter (where missed_identification),
    sum(compulsory_age_in_school)::numeric / nullif(sum(compulsory_age_members), 0),
    case when bool_and(medical_present)
         then sum(insured_members)::numeric / nullif(sum(member_count), 0) end,
    avg(case when housing_ok then 1.0 else 0.0 end),
    avg(case when water_ok then 1.0 else 0.0 end),
    sum(working_age_labour_employed)::numeric / nullif(sum(working_age_labour), 0),
    1 - avg(case when missed_identification then 1.0 else 0.0 end)
from marts.fct_household_month
where month = %(month)s
"""

_RECTIFICATION = """
select sum(problems_rectified)::numeric / nullif(sum(problems_found), 0)
from marts.mart_county_scorecard where month = %(month)s
"""

_OPEN = """
select count(*) from marts.fct_problem
where found_month <= %(month)s and (closed_month is null or closed_month > %(month)s)
"""

_FEEDS = """
select feed, feed_name_zh, arrived, on_time, days_late, rows_loaded, rows_quarantined, coverage
from marts.mart_feed_reporting where month = %(month)s order by feed_order
"""


def load_report_data(url: str, month: date) -> ReportData:
    """Read the month's figures from the published marts; ``NothingPublished`` if none."""
    month = month.replace(day=1)
    params = {"month": month}
    rate_columns = ", ".join(f"s.{column}" for column, _, _ in RATES)
    with psycopg.connect(url) as conn:
        rows = conn.execute(_COUNTIES.format(rates=rate_columns), params).fetchall()
        if not rows:
            raise NothingPublished(
                f"no key county is scored for {month:%Y-%m} in marts.mart_county_scorecard: "
                "build and publish the month first"
            )
        province = one_row(conn.execute(_PROVINCE, params))
        rectification = one_row(conn.execute(_RECTIFICATION, params))[0]
        open_total = one_row(conn.execute(_OPEN, params))[0]
        feeds = _optional(conn, _FEEDS, params)
        comment = conn.execute(
            "select obj_description(oid, 'pg_namespace') from pg_namespace "
            "where nspname = 'marts'"
        ).fetchone()
    counties = [
        CountyLine(
            county_code=r[0], county_name=r[1] or r[0], city_name=r[2] or "",
            key_rank=r[3], key_rank_change=r[4], score=_float(r[5]), score_change=_float(r[6]),
            households=int(r[7] or 0), missed_identifications=int(r[8] or 0),
            open_problems=int(r[9] or 0), evaluating_city_name=r[10],
            rates={column: _float(v) for (column, _, _), v in zip(RATES, r[11:], strict=True)},
        )
        for r in rows
    ]
    province_rates = {
        column: _float(value)
        for (column, _, _), value in zip(RATES, [*province[3:9], rectification], strict=True)
    }
    feed_lines = [
        FeedLine(f[0], f[1] or "", bool(f[2]), bool(f[3]), f[4], int(f[5] or 0), int(f[6] or 0),
                 _float(f[7]))
        for f in feeds
    ]
    return ReportData(
        month=month, published=_state(comment[0] if comment else None), counties=counties,
        province_rates=province_rates, households=int(province[0]), persons=int(province[1]),
        missed_identifications=int(province[2]), open_problems=int(open_total or 0),
        feeds=feed_lines,
    )


def _optional(conn: psycopg.Connection, query: str, params: dict) -> list[tuple]:
    """Rows of a mart that older publishes may not have yet (feed reporting)."""
    try:
        with conn.transaction():
            return conn.execute(query, params).fetchall()
    except psycopg.errors.UndefinedTable:
        return []


def _state(comment: str | None) -> dict:
    try:
        state = json.loads(comment) if comment else {}
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


# --- writing -------------------------------------------------------------------------------


def write_report(url: str, month: date, out: Path) -> Path:
    """Write the evaluation report of ``month`` (published marts) to ``out``; return its path.

    ``out`` may be a folder, in which case the file is ``report-YYYY-MM.html`` inside it.
    """
    data = load_report_data(url, month)
    out = Path(out)
    if out.is_dir() or not out.suffix:
        out = out / f"report-{data.month:%Y-%m}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(data), encoding="utf-8")
    return out


def render_report(data: ReportData, generated_at: datetime | None = None) -> str:
    """The whole HTML document; pure function of ``data`` (and the generation time)."""
    generated = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    run = data.published.get("run_id")
    published_month = data.published.get("month")
    source = "schema marts" + (f", run {run} (published month {published_month})" if run else "")
    ranked = [c for c in data.counties if c.score is not None]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>重点帮扶县评价报告 Evaluation report {data.month:%Y-%m}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header>",
        "<h1>重点帮扶县评价报告 "
        f"<span>Key county evaluation report · {data.month:%Y-%m}</span></h1>",
        f'<p class="meta">Source: {_e(source)}. Generated {_e(generated)}. '
        "Rates are shares of 1 shown as %; the province (全省) is every registered household.</p>",
        "</header>",
        _headline(data),
        '<section id="ranking"><h2>排名 Ranking of the key counties</h2>',
        _ranking_table(data),
        "</section>",
        '<section id="scores"><h2>综合得分 Scores</h2>',
        _score_chart(ranked),
        "</section>",
        '<section id="rates"><h2>七项指标对比全省 Seven rates against the province</h2>',
        _legend(),
        _rate_multiples(data.counties, data.province_rates),
        "</section>",
        '<section id="problems"><h2>应纳未纳与未整改问题 Missed identifications and open problems'
        "</h2>",
        _problem_chart(data.counties),
        "</section>",
    ]
    if data.feeds:
        parts += [
            '<section id="feeds"><h2>报送及时率 Feed reporting</h2>',
            _feed_table(data.feeds),
            "</section>",
        ]
    parts.append("</body></html>")
    return "\n".join(parts)


_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",sans-serif;margin:24px 32px;
color:#1a202c;background:#fff;font-size:14px}
h1{font-size:24px;margin:0 0 4px}h1 span{font-size:16px;color:#4a5568;font-weight:normal}
h2{font-size:18px;border-bottom:2px solid #2b6cb0;padding-bottom:4px;margin-top:28px}
.meta{color:#4a5568;margin:0}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-top:16px}
.card{border:1px solid #cbd5e0;border-radius:6px;padding:8px 14px;min-width:140px}
.card b{display:block;font-size:22px}.card span{color:#4a5568;font-size:12px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #e2e8f0;padding:3px 6px;text-align:right;white-space:nowrap}
th{background:#edf2f7}td.l,th.l{text-align:left}
td.better{background:#e6ffed}td.worse{background:#fff5f5}
tr.province td{font-weight:bold;background:#f7fafc}
.up{color:#276749}.down{color:#c53030}
.multiples{display:flex;flex-wrap:wrap;gap:10px}
.multiples figure{margin:0;border:1px solid #e2e8f0;border-radius:4px;padding:4px}
.multiples figcaption{font-size:12px;text-align:center}
.legend span{display:inline-block;margin-right:16px}
.swatch{display:inline-block;width:12px;height:12px;vertical-align:middle;margin-right:4px}
svg text{font-family:inherit}
"""


def _headline(data: ReportData) -> str:
    best = next((c for c in data.counties if c.key_rank == 1), None)
    cards = [
        (f"{data.households:,}", "登记户数 registered households"),
        (f"{data.persons:,}", "登记人口 registered people"),
        (str(len(data.counties)), "重点帮扶县 key counties"),
        (f"{data.missed_identifications:,}", "应纳未纳 missed identifications"),
        (f"{data.open_problems:,}", "未整改问题 open problems"),
        (best.county_name if best else "-", "排名第一 ranked first"),
    ]
    body = "".join(f'<div class="card"><b>{_e(v)}</b><span>{_e(t)}</span></div>' for v, t in cards)
    return f'<section class="cards" id="headline">{body}</section>'


def _ranking_table(data: ReportData) -> str:
    head = (
        '<tr><th>排名<br>Rank</th><th>变化<br>Δ</th><th class="l">县<br>County</th>'
        '<th class="l">市<br>City</th><th class="l">评价市<br>Evaluated by</th>'
        "<th>综合得分<br>Score</th><th>Δ</th><th>户数<br>Households</th>"
        + "".join(f"<th>{_e(zh)}<br>{_e(en)}</th>" for _, en, zh in RATES)
        + "<th>应纳未纳<br>Missed</th><th>未整改<br>Open</th></tr>"
    )
    rows = []
    for c in data.counties:
        cells = [
            f"<td>{c.key_rank if c.key_rank is not None else '-'}</td>",
            f"<td>{_change(c.key_rank_change, digits=0)}</td>",
            f'<td class="l">{_e(c.county_name)} <small>{_e(c.county_code)}</small></td>',
            f'<td class="l">{_e(c.city_name)}</td>',
            f'<td class="l">{_e(c.evaluating_city_name or "-")}</td>',
            f"<td>{_num(c.score)}</td>",
            f"<td>{_change(c.score_change)}</td>",
            f"<td>{c.households:,}</td>",
        ]
        for column, _, _ in RATES:
            value, ref = c.rates.get(column), data.province_rates.get(column)
            css = "" if value is None or ref is None else (" better" if value >= ref else " worse")
            cells.append(f'<td class="rate{css}">{_pct(value)}</td>')
        cells += [f"<td>{c.missed_identifications}</td>", f"<td>{c.open_problems}</td>"]
        rows.append(f'<tr data-county="{_e(c.county_code)}">' + "".join(cells) + "</tr>")
    province = (
        '<tr class="province"><td></td><td></td><td class="l">全省 Province</td><td></td><td></td>'
        "<td></td><td></td>"
        f"<td>{data.households:,}</td>"
        + "".join(f"<td>{_pct(data.province_rates.get(col))}</td>" for col, _, _ in RATES)
        + f"<td>{data.missed_identifications}</td><td>{data.open_problems}</td></tr>"
    )
    return (
        '<table class="ranking"><thead>' + head + "</thead><tbody>" + "".join(rows)
        + province + "</tbody></table>"
        '<p class="meta">Green: at or above the province; red: below. Δ rank: places gained '
        "(+) or lost (−) since the previous month.</p>"
    )


def _score_chart(counties: Sequence[CountyLine]) -> str:
    """Horizontal bars, one per key county in rank order, 0-100, with the mean as a line."""
    label_w, bar_w, row_h, top = 170, 640, 20, 24
    width, height = label_w + bar_w + 70, top + row_h * max(len(counties), 1) + 24
    scores = [c.score for c in counties if c.score is not None]
    mean = sum(scores) / len(scores) if scores else None
    parts = [_svg_open("scores", width, height, "Score of each key county, 0 to 100")]
    parts.append(_axis(label_w, bar_w, top, height - 20, 100, "{:.0f}"))
    for i, c in enumerate(counties):
        y = top + i * row_h
        w = bar_w * max(min((c.score or 0) / 100, 1), 0)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">'
            f"{c.key_rank}. {_e(c.county_name)}</text>"
            f'<rect class="bar score-bar" data-county="{_e(c.county_code)}" x="{label_w}" '
            f'y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{COUNTY_COLOUR}">'
            f"<title>{_e(c.county_name)}: {_num(c.score)}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="11">{_num(c.score)}</text>'
        )
    if mean is not None:
        x = label_w + bar_w * mean / 100
        parts.append(
            f'<line class="mean" x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{height - 20}" '
            f'stroke="{PROVINCE_COLOUR}" stroke-dasharray="4 3" stroke-width="1.5"/>'
            f'<text x="{x + 4:.1f}" y="{top - 10}" font-size="11" fill="{PROVINCE_COLOUR}">'
            f"key-county mean {mean:.1f}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _rate_multiples(counties: Sequence[CountyLine], province: dict[str, float | None]) -> str:
    """One small chart per key county: its seven rates as bars, the province as red ticks."""
    figures = []
    for c in counties:
        figures.append(
            f'<figure data-county="{_e(c.county_code)}">'
            f"{_rate_chart(c, province)}"
            f"<figcaption>{c.key_rank or '-'}. {_e(c.county_name)} · {_num(c.score)}</figcaption>"
            "</figure>"
        )
    return '<div class="multiples">' + "".join(figures) + "</div>"


def _rate_chart(county: CountyLine, province: dict[str, float | None]) -> str:
    width, height, left, top, plot_h, bar_w, gap = 230, 140, 26, 8, 100, 20, 8
    parts = [
        _svg_open(
            "rates", width, height, f"Seven rates of {county.county_name} against the province",
            county=county.county_code,
        )
    ]
    for tick in (0, 0.5, 1):
        y = top + plot_h * (1 - tick)
        parts.append(
            f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>'
            f'<text x="{left - 3}" y="{y + 4:.1f}" text-anchor="end" font-size="9">'
            f"{tick * 100:.0f}</text>"
        )
    for i, (column, english, chinese) in enumerate(RATES):
        x = left + 4 + i * (bar_w + gap)
        value, ref = county.rates.get(column), province.get(column)
        if value is not None:
            h = plot_h * max(min(value, 1), 0)
            parts.append(
                f'<rect class="bar rate-bar" data-rate="{column}" x="{x}" '
                f'y="{top + plot_h - h:.1f}" width="{bar_w}" height="{h:.1f}" '
                f'fill="{COUNTY_COLOUR}">'
                f"<title>{_e(chinese)} {_e(english)}: {_pct(value)} (province {_pct(ref)})</title>"
                "</rect>"
            )
        else:
            parts.append(
                f'<text x="{x + bar_w / 2}" y="{top + plot_h - 4}" text-anchor="middle" '
                f'font-size="9">n/a</text>'
            )
        if ref is not None:
            y = top + plot_h * (1 - max(min(ref, 1), 0))
            parts.append(
                f'<line class="province-mark" data-rate="{column}" x1="{x - 2}" '
                f'x2="{x + bar_w + 2}" y1="{y:.1f}" y2="{y:.1f}" stroke="{PROVINCE_COLOUR}" '
                'stroke-width="2"/>'
            )
        parts.append(
            f'<text x="{x + bar_w / 2}" y="{top + plot_h + 14}" text-anchor="middle" '
            f'font-size="10">{_e(chinese[:2])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _problem_chart(counties: Sequence[CountyLine]) -> str:
    """Two bars per key county: missed identifications and open problems."""
    label_w, bar_w, row_h, top = 170, 560, 26, 24
    width, height = label_w + bar_w + 60, top + row_h * max(len(counties), 1) + 24
    peak = max([1, *(max(c.missed_identifications, c.open_problems) for c in counties)])
    parts = [_svg_open("problems", width, height, "Missed identifications and open problems")]
    parts.append(
        f'<rect x="{label_w}" y="4" width="10" height="10" fill="{MISSED_COLOUR}"/>'
        f'<text x="{label_w + 14}" y="13" font-size="11">应纳未纳 missed identifications</text>'
        f'<rect x="{label_w + 230}" y="4" width="10" height="10" fill="{OPEN_COLOUR}"/>'
        f'<text x="{label_w + 244}" y="13" font-size="11">未整改问题 open problems</text>'
    )
    for i, c in enumerate(counties):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12">'
            f"{_e(c.county_name)}</text>"
        )
        for j, (kind, value, colour) in enumerate(
            (("missed", c.missed_identifications, MISSED_COLOUR),
             ("open", c.open_problems, OPEN_COLOUR))
        ):
            w = bar_w * value / peak
            by = y + 2 + j * 11
            parts.append(
                f'<rect class="bar {kind}-bar" data-county="{_e(c.county_code)}" '
                f'data-value="{value}" x="{label_w}" y="{by}" width="{w:.1f}" height="10" '
                f'fill="{colour}"><title>{_e(c.county_name)} {kind}: {value}</title></rect>'
                f'<text x="{label_w + w + 3:.1f}" y="{by + 9}" font-size="9">{value}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _feed_table(feeds: Iterable[FeedLine]) -> str:
    head = (
        '<tr><th class="l">数据源 Feed</th><th>报送 Arrived</th><th>按时 On time</th>'
        "<th>逾期天数 Days late</th><th>入库行数 Rows loaded</th><th>隔离行数 Quarantined</th>"
        "<th>覆盖率 Coverage</th></tr>"
    )
    rows = "".join(
        f'<tr data-feed="{_e(f.feed)}"><td class="l">{_e(f.feed_name_zh)} <small>{_e(f.feed)}'
        f"</small></td><td>{'是' if f.arrived else '否'}</td>"
        f'<td class="{"better" if f.on_time else "worse"}">{"是" if f.on_time else "否"}</td>'
        f"<td>{f.days_late if f.days_late is not None else '-'}</td>"
        f"<td>{f.rows_loaded:,}</td><td>{f.rows_quarantined:,}</td><td>{_pct(f.coverage)}</td>"
        "</tr>"
        for f in feeds
    )
    return f'<table class="feeds"><thead>{head}</thead><tbody>{rows}</tbody></table>'


def _legend() -> str:
    return (
        '<p class="legend"><span><i class="swatch" style="background:'
        f'{COUNTY_COLOUR}"></i>县 county</span><span><i class="swatch" style="background:'
        f'{PROVINCE_COLOUR}"></i>全省 province</span></p>'
    )


def _svg_open(chart: str, width: int, height: int, label: str, county: str | None = None) -> str:
    extra = f' data-county="{_e(county)}"' if county else ""
    return (
        f'<svg class="chart" data-chart="{chart}"{extra} xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(label)}">'
    )


def _axis(left: int, width: int, top: int, bottom: int, top_value: float, fmt: str) -> str:
    parts = []
    for i in range(6):
        x = left + width * i / 5
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{bottom}" stroke="#e2e8f0"/>'
            f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" font-size="10">'
            f"{fmt.format(top_value * i / 5)}</text>"
        )
    return "".join(parts)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _change(value: float | int | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    css = "up" if value > 0 else "down"
    sign = "+" if value > 0 else "−"
    return f'<span class="{css}">{sign}{abs(value):.{digits}f}</span>'
