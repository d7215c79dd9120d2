"""``fangpin report``: the evaluation report of one published month, as one HTML file.

The report is read by people who print it, mail it and open it on machines without network
access, so it is fully self-contained: inline CSS, charts drawn as inline SVG
(``fangpin.report.charts``), no script, no font, stylesheet or image from anywhere else. It
reads only the published ``marts`` schema (``fangpin.report.data``), the same interface
evaluators query, so it shows what they can check. Its print stylesheet lays it out on A4
pages, one section after a page break, no chart cut in two (``fangpin report --pdf``).

Contents: headline figures; the ranking of the key assistance counties (重点帮扶县) with their
seven rates coloured against the province; the scores; the scores over the published months;
each key county's seven rates against the province; wrong exits (错退率) and income; missed
identifications and open problems; the field-verification sample; feed reporting over the
published months.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from fangpin.report import charts
from fangpin.report.charts import COUNTY_COLOUR, PROVINCE_COLOUR, e, num, pct
from fangpin.report.data import (
    RATES,
    WRONG_EXIT_LIMIT,
    CountyLine,
    FeedColumn,
    FeedLine,
    ReportData,
    load_report_data,
)


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
    months = data.months
    span = f"{months[0]:%Y-%m}..{months[-1]:%Y-%m}" if len(months) > 1 else f"{months[0]:%Y-%m}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>重点帮扶县评价报告 Evaluation report {data.month:%Y-%m}</title>",
        f"<style>{_CSS}</style></head><body>",
        '<section id="summary" class="first"><header>',
        "<h1>重点帮扶县评价报告 "
        f"<span>Key county evaluation report · {data.month:%Y-%m}</span></h1>",
        f'<p class="meta">Source: {e(source)}; published months {e(span)}. Generated '
        f"{e(generated)}. Rates are shares of 1 shown as %; the province (全省) is every "
        "registered household.</p>",
        "</header>",
        _headline(data),
        "<h2>排名 Ranking of the key counties</h2>",
        _ranking_table(data),
        "</section>",
        _section("scores", "综合得分 Scores", charts.score_chart(ranked)),
        _section("trends", f"得分走势 Scores over the published months ({span})",
                 charts.trend_multiples(data.counties, data.trend, months)
                 + '<p class="meta">Blue: the county\'s score each month; grey dashed: the '
                 "key counties' mean that month.</p>"),
        _section("rates", "七项指标对比全省 Seven rates against the province",
                 _legend() + charts.rate_multiples(data.counties, data.province.rates)),
        _section("wrong-exits", "错退率与收入 Wrong exits and income", _wrong_exit_table(data)),
        _section("problems", "应纳未纳与未整改问题 Missed identifications and open problems",
                 charts.problem_chart(data.counties)),
        _section("field-sample", "实地核查样本 Field-verification sample",
                 _sample_table(data.counties)),
    ]
    if data.feeds:
        parts.append(_section("feeds", f"报送及时率 Feed reporting ({span})",
                              _feed_overview(data.feeds, months)
                              + _feed_table(data.feeds, data.feed_columns,
                                            data.ages_by_year)))
    parts.append("</body></html>")
    return "\n".join(parts)


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{title}</h2>{body}</section>'


_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",sans-serif;margin:24px 32px;
color:#1a202c;background:#fff;font-size:14px}
h1{font-size:24px;margin:0 0 4px}h1 span{font-size:16px;color:#4a5568;font-weight:normal}
h2{font-size:18px;border-bottom:2px solid #2b6cb0;padding-bottom:4px;margin-top:28px}
.meta{color:#4a5568;margin:4px 0}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-top:16px}
.card{border:1px solid #cbd5e0;border-radius:6px;padding:8px 14px;min-width:140px}
.card b{display:block;font-size:22px}.card span{color:#4a5568;font-size:12px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #e2e8f0;padding:3px 6px;text-align:right;white-space:nowrap}
th{background:#edf2f7}td.l,th.l{text-align:left}
td.better{background:#e6ffed}td.worse{background:#fff5f5}
tr.province td{font-weight:bold;background:#f7fafc}
tr.month-head th{text-align:left;background:#e2e8f0}
table.feed-overview{margin-bottom:14px}
.up{color:#276749}.down{color:#c53030}
.multiples{display:flex;flex-wrap:wrap;gap:10px}
.multiples figure{margin:0;border:1px solid #e2e8f0;border-radius:4px;padding:4px}
.multiples figcaption{font-size:12px;text-align:center}
.legend span{display:inline-block;margin-right:16px}
.swatch{display:inline-block;width:12px;height:12px;vertical-align:middle;margin-right:4px}
svg text{font-family:inherit}
@page{size:A4;margin:12mm 10mm}
@media print{
  body{margin:0;font-size:10px}
  h1{font-size:18px}h1 span{font-size:12px}h2{font-size:14px;margin-top:0}
  section{break-before:page}section.first{break-before:auto}
  .card{padding:4px 8px;min-width:100px}.card b{font-size:15px}
  table{font-size:8px}th,td{padding:1px 3px}
  table.feeds,table.samples,table.wrong-exits,table.feed-overview{font-size:9px}
  h2{break-after:avoid}
  tr,figure,svg,.card{break-inside:avoid}
  thead{display:table-header-group}
  svg.chart{width:auto;height:auto;max-width:100%;max-height:250mm}
  .multiples{gap:6px}.multiples figure{padding:2px}
  .multiples svg.chart{width:165px;height:auto}
  .multiples.trends svg.chart{width:130px}
  .multiples figcaption{font-size:9px}
}
"""


def _headline(data: ReportData) -> str:
    p = data.province
    best = next((c for c in data.counties if c.key_rank == 1), None)
    cards = [
        (f"{p.households:,}", "登记户数 registered households"),
        (f"{p.persons:,}", "登记人口 registered people"),
        (str(len(data.counties)), "重点帮扶县 key counties"),
        (f"{p.missed_identifications:,}", "应纳未纳 missed identifications"),
        (f"{p.open_problems:,}", "未整改问题 open problems"),
        (pct(p.wrong_exit_rate, 2), "错退率 wrong-exit rate (province)"),
        (_yuan(p.income_median), "人均纯收入中位数 income median (province)"),
        (best.county_name if best else "-", "排名第一 ranked first"),
    ]
    body = "".join(
        f'<div class="card" data-card="{i}"><b>{e(v)}</b><span>{e(t)}</span></div>'
        for i, (v, t) in enumerate(cards)
    )
    return f'<div class="cards" id="headline">{body}</div>'


def _ranking_table(data: ReportData) -> str:
    head = (
        '<tr><th>排名<br>Rank</th><th>变化<br>Δ</th><th class="l">县<br>County</th>'
        '<th class="l">市<br>City</th><th class="l">评价市<br>Evaluated by</th>'
        "<th>综合得分<br>Score</th><th>Δ</th><th>户数<br>Households</th>"
        + "".join(f"<th>{e(zh)}<br>{e(en)}</th>" for _, en, zh in RATES)
        + "<th>应纳未纳<br>Missed</th><th>未整改<br>Open</th></tr>"
    )
    p = data.province
    rows = []
    for c in data.counties:
        cells = [
            f"<td>{c.key_rank if c.key_rank is not None else '-'}</td>",
            f"<td>{_change(c.key_rank_change, digits=0)}</td>",
            f'<td class="l">{e(c.county_name)} <small>{e(c.county_code)}</small></td>',
            f'<td class="l">{e(c.city_name)}</td>',
            f'<td class="l">{e(c.evaluating_city_name or "-")}</td>',
            f'<td class="score">{num(c.score)}</td>',
            f"<td>{_change(c.score_change)}</td>",
            f"<td>{c.households:,}</td>",
        ]
        for column, _, _ in RATES:
            value, ref = c.rates.get(column), p.rates.get(column)
            css = "" if value is None or ref is None else (" better" if value >= ref else " worse")
            cells.append(f'<td class="rate{css}">{pct(value)}</td>')
        cells += [f"<td>{c.missed_identifications}</td>", f"<td>{c.open_problems}</td>"]
        rows.append(f'<tr data-county="{e(c.county_code)}">' + "".join(cells) + "</tr>")
    province = (
        '<tr class="province"><td></td><td></td><td class="l">全省 Province</td><td></td><td></td>'
        "<td></td><td></td>"
        f"<td>{p.households:,}</td>"
        + "".join(f"<td>{pct(p.rates.get(col))}</td>" for col, _, _ in RATES)
        + f"<td>{p.missed_identifications}</td><td>{p.open_problems}</td></tr>"
    )
    return (
        '<table class="ranking"><thead>' + head + "</thead><tbody>" + "".join(rows)
        + province + "</tbody></table>"
        '<p class="meta">Green: at or above the province; red: below. Δ rank: places gained '
        "(+) or lost (−) since the previous month.</p>"
    )


def _wrong_exit_table(data: ReportData) -> str:
    """Per key county and the province: eliminated, relapsed, wrong-exit rate, income."""
    since = f"{data.year_start:%Y-%m}" if data.year_start else "the year's first month"
    head = (
        '<tr><th class="l">县<br>County</th><th>风险已消除户<br>Eliminated</th>'
        "<th>返贫<br>Relapsed</th><th>错退率<br>Wrong-exit rate</th>"
        "<th>人均纯收入中位数<br>Income median (yuan)</th>"
        "<th>同比增长<br>Growth on a year before</th>"
        f"<th>年内增长<br>Growth since {since}</th></tr>"
    )

    def row(label: str, attr: str, eliminated: int, relapsed: int, rate: float | None,
            median: float | None, growth: float | None, in_year: float | None,
            css: str = "") -> str:
        flag = "" if rate is None else (" worse" if rate > WRONG_EXIT_LIMIT else " better")
        return (
            f'<tr{attr}{css}><td class="l">{label}</td><td>{eliminated:,}</td>'
            f"<td>{relapsed:,}</td><td class=\"wrong-exit{flag}\">{pct(rate, 2)}</td>"
            f'<td class="income">{_yuan(median)}</td><td>{pct(growth)}</td>'
            f"<td>{pct(in_year)}</td></tr>"
        )

    rows = [
        row(f"{e(c.county_name)} <small>{e(c.county_code)}</small>",
            f' data-county="{e(c.county_code)}"', c.eliminated_households,
            c.relapsed_eliminated_households, c.wrong_exit_rate, c.income_median,
            c.income_growth, c.income_growth_in_year)
        for c in data.counties
    ]
    p = data.province
    rows.append(row("全省 Province", ' data-county="province"', p.eliminated_households,
                    p.relapsed_eliminated_households, p.wrong_exit_rate, p.income_median,
                    p.income_growth, p.income_growth_in_year, css=' class="province"'))
    year_before = data.month.replace(year=data.month.year - 1)
    return (
        f'<table class="wrong-exits"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
        '<p class="meta">Wrong-exit rate (错退率) = eliminated households that relapsed '
        "(relapse_after_elimination) ÷ eliminated households (docs/contract/RULES.md); red above "
        f"{WRONG_EXIT_LIMIT:.0%}, the level evaluators expect it to stay below. Income: the "
        "median per-capita net income of the registered households; growth against the same "
        f"month a year before ({year_before:%Y-%m}, the scorecard's income_growth), '-' while "
        "that month is not published; within the year, against the year's first published "
        "month (as evaluator question 10 computes it). "
        "The province's figures are computed from marts.fct_household_month and "
        "marts.mart_county_scorecard with the scorecard's definitions.</p>"
    )


def _sample_table(counties: Sequence[CountyLine]) -> str:
    """The field sample per key county as counts: no household, village or name."""
    head = (
        '<tr><th class="l">县<br>County</th><th class="l">评价市<br>Evaluated by</th>'
        "<th>样本户数<br>Sampled</th><th>应纳未纳<br>Missed identification</th>"
        "<th>随机抽取<br>Random</th><th>上月也抽中<br>Also last month</th>"
        "<th>有待核实信号<br>With signals</th><th class=\"l\">待核实信号<br>Signals to check</th>"
        "</tr>"
    )
    rows = []
    for c in counties:
        s = c.sample
        if s is None:
            cells = '<td colspan="6" class="l">no sample this month</td>'
        else:
            cells = (
                f'<td class="sample-size">{s.households}</td><td>{s.missed}</td>'
                f"<td>{s.random}</td><td>{s.sampled_before}</td><td>{s.with_signals}</td>"
                f'<td class="l">{e(s.signals or "-")}</td>'
            )
        rows.append(
            f'<tr data-county="{e(c.county_code)}"><td class="l">{e(c.county_name)} '
            f'<small>{e(c.county_code)}</small></td>'
            f'<td class="l">{e(c.evaluating_city_name or "-")}</td>{cells}</tr>'
        )
    return (
        f'<table class="samples"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
        '<p class="meta">From marts.mart_field_sample: the households the evaluating city\'s '
        "field team visits. Every missed identification (应纳未纳) of the county is in the "
        "sample, up to half of it; the rest are drawn at random, reproducibly. Signals: the "
        "signal codes of docs/contract/RULES.md among the sampled households, with how many "
        "households carry each. Counts only: the households themselves are in the mart.</p>"
    )


def _feed_overview(feeds: Iterable[FeedLine], months: Sequence[date]) -> str:
    """Feed × month at a glance: on time, late (days) or not arrived."""
    by_feed: dict[str, dict[date, FeedLine]] = {}
    names: dict[str, str] = {}
    for f in feeds:
        by_feed.setdefault(f.feed, {})[f.month] = f
        names[f.feed] = f.feed_name_zh
    shown = [m for m in months if any(m in lines for lines in by_feed.values())]
    head = '<tr><th class="l">数据源 Feed</th>' + "".join(
        f"<th>{m:%Y-%m}</th>" for m in shown) + "</tr>"
    rows = []
    for feed, lines in by_feed.items():
        cells = []
        for m in shown:
            line = lines.get(m)
            if line is None:
                cells.append("<td>-</td>")
                continue
            arrived, on_time = line.values.get("arrived"), line.values.get("on_time")
            late = line.values.get("days_late")
            if arrived is False:
                text, css = "未报送 missing", "worse"
            elif on_time:
                text, css = "按时 on time", "better"
            else:
                text, css = "逾期 late" + (f" {late} d" if late is not None else ""), "worse"
            cov = line.values.get("coverage")
            if cov is not None:
                text += f" · {pct(cov)}"  # type: ignore[arg-type]
            cells.append(f'<td class="{css}" data-month="{m:%Y-%m}">{e(text)}</td>')
        rows.append(f'<tr data-feed="{e(feed)}"><td class="l">{e(names[feed])} '
                    f"<small>{e(feed)}</small></td>" + "".join(cells) + "</tr>")
    return (f'<table class="feed-overview"><thead>{head}</thead><tbody>{"".join(rows)}'
            "</tbody></table>")


_BASIS = {
    "households": "户 households",
    "people": "人 registered people",
    "household_heads": "户主 household heads",
    "villages": "村 villages",
    "compulsory_age_people":
        "义务教育适龄人口 members aged {compulsory_age_min}-{compulsory_age_max}",
    "working_age_labour": "劳动年龄劳动力 members {working_age_min}-{working_age_max} able to work",
}
#: The same, for a year whose ages marts.dim_policy does not hold: named, not guessed.
_BASIS_WITHOUT_AGES = {
    "compulsory_age_people": "义务教育适龄人口 members of compulsory-education age",
    "working_age_labour": "劳动年龄劳动力 working-age members able to work",
}


def basis_label(basis: str, ages: dict[str, int]) -> str:
    """A coverage basis in words, with the ages of its month's year (marts.dim_policy), so an
    imported change of the ages shows in the report as it shows in the figures."""
    label = _BASIS.get(basis, basis)
    try:
        return label.format(**ages)
    except KeyError:
        return _BASIS_WITHOUT_AGES[basis]


def _cell(column: FeedColumn, value: object, ages: dict[str, int] | None = None) -> str:
    if value is None:
        text = "-"
    elif column.kind == "yes_no":
        text = "是" if value else "否"
    elif column.kind == "int":
        text = f"{int(value):,}"  # type: ignore[call-overload]
    elif column.kind == "pct":
        text = pct(float(value))  # type: ignore[arg-type]
    elif column.kind == "basis":
        text = basis_label(str(value), ages or {})
    else:
        text = str(value)
    verdict = column.good(value) if column.good else None
    css = "" if verdict is None else (" better" if verdict else " worse")
    cls = "l" if column.kind in ("basis", "text") else ""
    return f'<td class="{cls}{css}" data-column="{column.column}">{e(text)}</td>'


def _feed_table(feeds: Sequence[FeedLine], columns: Sequence[FeedColumn],
                ages_by_year: dict[int, dict[str, int]] | None = None) -> str:
    """Every published month's feed reporting, the latest month first, ``columns`` as given."""
    head = '<tr><th class="l">数据源 Feed</th>' + "".join(
        f"<th>{e(c.zh)}<br>{e(c.en)}</th>" for c in columns) + "</tr>"
    rows: list[str] = []
    month = None
    for f in feeds:
        if f.month != month:
            month = f.month
            rows.append(f'<tr class="month-head"><th colspan="{len(columns) + 1}">'
                        f"{month:%Y-%m}</th></tr>")
        rows.append(
            f'<tr data-feed="{e(f.feed)}" data-month="{f.month:%Y-%m}"><td class="l">'
            f"{e(f.feed_name_zh)} <small>{e(f.feed)}</small></td>"
            + "".join(_cell(c, f.values.get(c.column), (ages_by_year or {}).get(f.month.year))
                      for c in columns) + "</tr>"
        )
    return (
        f'<table class="feeds"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
        '<p class="meta">Coverage (覆盖率) is the share of the month\'s registered population '
        "that the delivery covers, counted on the basis in the column beside it: registered "
        "households, registered people, household heads (housing) or villages with registered "
        "households (water). The person feeds are measured there against all registered "
        "people, so a low education or employment figure is not by itself a failing feed. "
        "Target coverage (目标人群覆盖率) measures each feed against the population it should "
        "cover: education the members of compulsory-education age, employment the working-age "
        "members able to work, medical all members, housing the household heads, water the "
        "villages (ages from marts.dim_policy). Social assistance has no such population (-). "
        "A feed that did not arrive covers nobody (0). On time: the files landed "
        "by the due day of the following month.</p>"
    )


def _legend() -> str:
    return (
        '<p class="legend"><span><i class="swatch" style="background:'
        f'{COUNTY_COLOUR}"></i>县 county</span><span><i class="swatch" style="background:'
        f'{PROVINCE_COLOUR}"></i>全省 province</span></p>'
    )


def _yuan(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _change(value: float | int | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    css = "up" if value > 0 else "down"
    sign = "+" if value > 0 else "−"
    return f'<span class="{css}">{sign}{abs(value):.{digits}f}</span>'
