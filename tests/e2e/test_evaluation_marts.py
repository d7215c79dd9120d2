"""The cross-county evaluation marts against docs/contract/RULES.md, re-run from dbt's compiled SQL.

The assignment and the field sample must hold for every year, seed and parameter, not only for
the ones the build used: so the SQL dbt compiled for them is run again on the published marts
with other years, seeds and sample sizes (inside a transaction that is rolled back), and its
rows checked here in Python, independently of the SQL.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime

import psycopg
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def province(evaluation_province):  # the session fixture of conftest.py
    return evaluation_province


def published_sql(province, model: str) -> str:
    """The compiled model reading the published marts instead of the (swapped-away) build."""
    return province.compiled(model).replace('."marts_build".', '."marts".')


def replace_relation(text: str, table: str, replacement: str) -> str:
    """Every reference to ``marts.<table>`` replaced by a subquery (aliased when it is not)."""
    pattern = re.compile(rf'"[^"]+"\."marts"\."{table}"(\s+as\b)?')
    assert pattern.search(text), f"{table} not in the compiled SQL"
    return pattern.sub(lambda m: replacement + (m.group(1) or f" as {table}"), text)


def draw_sql(province, facts: str = "select * from marts.fct_household_month") -> str:
    """The field-sample draw (int_field_sample_draw as dbt compiled it) over every month of
    ``facts``: the incremental run's filter on its month is removed, and the household-month
    history is read from the published facts (the same columns), so that the draw can be
    repeated at any sample size or seed (the seeds are read when the query runs)."""
    text = province.compiled("int_field_sample_draw", folder="intermediate/history")
    pattern = re.compile(
        r'"[^"]+"\."intermediate"\."int_household_month"'
        r"(\s+where month = cast\('[0-9-]+' as date\))?"
    )
    assert len(pattern.findall(text)) == 1, "the draw reads int_household_month once"
    return pattern.sub(lambda m: f"({facts}) as history", text)


def run(url: str, text: str, setup: tuple[str, ...] = ()) -> list[dict]:
    """Run ``text`` after ``setup`` statements, then roll everything back."""
    with psycopg.connect(url) as conn:
        # The models' own pre-hooks (see their SQL): without them the planner loops for seconds.
        conn.execute("set local enable_nestloop = off")
        conn.execute("set local jit = off")
        for statement in setup:
            conn.execute(statement)
        cur = conn.execute(text)
        names = [c.name for c in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        conn.rollback()
    return rows


def rows(url: str, text: str, params: tuple = ()) -> list[dict]:
    with psycopg.connect(url) as conn:
        cur = conn.execute(text, params)
        names = [c.name for c in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


# --- assignment ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", ["2021", "7", "424242"])
def test_assignment_is_valid_for_two_hundred_years_and_any_seed(
    province, seed: str
) -> None:
    url = province.url
    years = "(select make_date(y, 6, 1) as month from generate_series(2000, 2199) as y)"
    text = replace_relation(published_sql(province, "mart_evaluation_assignment"),
                            "dim_month", years)
    setup = (f"update seeds.evaluation_parameters set value = '{seed}' "
             "where parameter = 'assignment_seed'",)
    assigned = run(url, text, setup)
    counties = rows(url, "select county_code, city_code, is_key_county from marts.dim_county")
    own = {c["county_code"]: c["city_code"] for c in counties}
    key = sorted(c["county_code"] for c in counties if c["is_key_county"])
    cities = sorted(set(own.values()))
    by_year: dict[int, list[dict]] = defaultdict(list)
    for a in assigned:
        by_year[a["year"]].append(a)
    assert sorted(by_year) == list(range(2000, 2200))
    distinct_deals = set()
    for year, deal in by_year.items():
        assert sorted(a["county_code"] for a in deal) == key, year
        assert all(a["evaluating_city_code"] not in (None, own[a["county_code"]]) for a in deal)
        loads = Counter(a["evaluating_city_code"] for a in deal)
        per_city = [loads.get(c, 0) for c in cities]
        assert max(per_city) - min(per_city) <= 1, (year, per_city)
        distinct_deals.add(tuple(sorted((a["county_code"], a["evaluating_city_code"])
                                        for a in deal)))
    assert len(distinct_deals) > 50, "the assignment should change from year to year"


def test_assignment_is_reproducible_and_the_published_one(province) -> None:
    text = published_sql(province, "mart_evaluation_assignment")
    again = run(province.url, text + " order by 1, 2")
    published = rows(province.url, "select * from marts.mart_evaluation_assignment order by 1, 2")
    assert again == published


# --- field sample --------------------------------------------------------------------------


def household_counts(url: str) -> dict[tuple[date, str], tuple[int, set[str]]]:
    facts = rows(
        url,
        "select f.month, f.county_code, f.household_id, f.missed_identification "
        "from marts.fct_household_month f join marts.dim_county d using (county_code) "
        "where d.is_key_county",
    )
    out: dict[tuple[date, str], tuple[int, set[str]]] = {}
    for f in facts:
        n, missed = out.get((f["month"], f["county_code"]), (0, set()))
        if f["missed_identification"]:
            missed = missed | {f["household_id"]}
        out[(f["month"], f["county_code"])] = (n + 1, missed)
    return out


def check_sample(sample: list[dict], counts: dict, size: int) -> None:
    """docs/contract/RULES.md: size households, every missed one up to half, then the others."""
    by_county: dict[tuple[date, str], list[dict]] = defaultdict(list)
    for s in sample:
        by_county[(s["month"], s["county_code"])].append(s)
    assert set(by_county) == set(counts)
    for key, drawn in by_county.items():
        households, missed = counts[key]
        drawn.sort(key=lambda s: s["sample_rank"])
        assert [s["sample_rank"] for s in drawn] == list(range(1, len(drawn) + 1))
        assert len(drawn) == min(size, households), key
        assert len({s["household_id"] for s in drawn}) == len(drawn)
        first = [s for s in drawn if s["reason"] == "missed_identification"]
        assert len(first) == min(len(missed), size // 2), key
        assert drawn[: len(first)] == first  # the missed ones come first
        assert {s["household_id"] for s in first} <= missed
        if len(missed) <= size // 2:
            assert missed <= {s["household_id"] for s in drawn}


def test_the_published_sample_follows_the_rules(province) -> None:
    sample = rows(province.url, "select * from marts.mart_field_sample")
    size = int(rows(province.url, "select value from seeds.policy_parameters "
                                  "where parameter = 'sample_size'")[0]["value"])
    check_sample(sample, household_counts(province.url), size)
    assert any(s["reason"] == "missed_identification" for s in sample)
    assert all(s["evaluating_city_code"] != s["city_code"] for s in sample)
    # The months drawn one by one (incremental) are the draw over the whole history at once.
    key = ("month", "county_code", "household_id", "reason", "sample_rank")
    again = run(province.url, draw_sql(province))
    assert sorted(tuple(s[k] for k in key) for s in again) == sorted(
        tuple(s[k] for k in key) for s in sample
    )


@pytest.mark.parametrize("size", [2, 4, 7])
def test_smaller_samples_take_missed_first_then_draw_the_rest(
    province, size: int
) -> None:
    text = draw_sql(province)
    setup = (f"update seeds.policy_parameters set value = {size} "
             "where parameter = 'sample_size'",)
    sample = run(province.url, text, setup)
    check_sample(sample, household_counts(province.url), size)
    assert any(s["reason"] == "random" for s in sample)


def test_the_sample_is_reproducible_per_county_month_and_seed(province) -> None:
    url = province.url
    text = draw_sql(province)
    small = (
        "update seeds.policy_parameters set value = 3 where parameter = 'sample_size'",
    )

    def draw(sql_text: str, seed: str | None = None) -> set[tuple]:
        setup = small + ((
            f"update seeds.evaluation_parameters set value = '{seed}' "
            "where parameter = 'sample_seed'",
        ) if seed else ())
        return {(s["month"], s["county_code"], s["household_id"], s["reason"], s["sample_rank"])
                for s in run(url, sql_text, setup)}

    base = draw(text)
    assert draw(text) == base
    # One county alone (the others' households removed) draws the same households.
    county = max(household_counts(url).items(), key=lambda kv: kv[1][0])[0][1]
    alone_sql = draw_sql(
        province, f"select * from marts.fct_household_month where county_code = '{county}'"
    )
    assert draw(alone_sql) == {s for s in base if s[1] == county}
    # Another seed draws other households (in the counties larger than the sample).
    other = draw(text, seed="99")
    assert other != base and len(other) == len(base)


def test_the_contact_list_is_the_sample_with_names(province) -> None:
    sample = rows(province.url, "select month, household_id, evaluating_city_code, "
                                "head_name_masked from marts.mart_field_sample")
    contact = rows(province.url, "select month, household_id, evaluating_city_code, head_name "
                                 "from marts.mart_field_sample_contact")
    assert len(sample) == len(contact)
    named = {(c["month"], c["household_id"]): c for c in contact}
    for s in sample:
        c = named[(s["month"], s["household_id"])]
        assert c["evaluating_city_code"] == s["evaluating_city_code"]
        if c["head_name"]:
            masked = s["head_name_masked"]
            assert masked[0] == c["head_name"][0] and len(masked) == len(c["head_name"])
            assert set(masked[1:]) <= {"*"}


# --- feed reporting ------------------------------------------------------------------------


def test_feed_reporting_has_every_feed_and_month_and_agrees_with_the_generator(
    province,
) -> None:
    url = province.url
    report = rows(url, "select * from marts.mart_feed_reporting")
    truth = json.loads((province.landing / "_truth" / "manifest.json").read_text())
    assert len(report) == 8 * len(province.months)
    by_key = {(f"{r['month']:%Y-%m}", r["feed"]): r for r in report}
    assert len(by_key) == len(report)
    for month, info in truth["per_month"].items():
        for feed in info["absent"]:
            r = by_key[(month, feed)]
            assert not r["arrived"] and not r["on_time"] and r["delivery_status"] == "missing"
            assert r["coverage"] == 0 and r["rows_loaded"] == 0 and r["arrived_at"] is None
        for feed, delivery in info["feeds"].items():
            r = by_key[(month, feed)]
            assert r["arrived"] and r["delivery_status"] == "loaded", (month, feed)
            assert r["arrived_at"] == datetime.fromisoformat(delivery["arrival"])
            assert r["on_time"] == delivery["on_time"], (month, feed)
            assert r["rows_loaded"] + r["rows_quarantined"] == delivery["rows"]
            assert 0 < r["coverage"] <= 1
    # Arrival, not load time, decides: everything was loaded today, yet most feeds are on time.
    assert all(r["first_loaded_at"] is None or r["first_loaded_at"].date() > r["due_date"]
               for r in report)
    assert sum(r["on_time"] for r in report) > len(report) // 2
    for r in report:
        if r["feed"].startswith("registry_"):
            assert r["coverage"] == 1


def test_feed_reporting_denominators_are_the_registered_population(
    province,
) -> None:
    url = province.url
    population = {
        r["month"]: r
        for r in rows(
            url,
            "select month, count(*) as households, sum(member_count) as people, "
            "count(distinct village_code) as villages from marts.fct_household_month group by 1",
        )
    }
    for r in rows(url, "select * from marts.mart_feed_reporting"):
        p = population[r["month"]]
        expected = {
            "households": p["households"], "household_heads": p["households"],
            "people": p["people"], "villages": p["villages"],
        }[r["coverage_basis"]]
        assert r["registered"] == expected, (r["month"], r["feed"])
        assert r["covered"] <= r["registered"]
