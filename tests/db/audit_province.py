"""A tiny province built by hand for the audit and publish tests.

Four counties in two cities (two of them key counties), two households each, two months
(February and March 2021): seeds, raw deliveries with their load history, staging views shaped
like dbt's, and a build schema with every mart of docs/contract/MARTS.md, all consistent with
docs/contract/RULES.md so that the audit passes with no failure at all until a test plants a defect.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import psycopg
from psycopg import sql

from fangpin.config import expectations_dir
from fangpin.feeds.contracts import FEEDS

FEB = date(2021, 2, 1)
MAR = date(2021, 3, 1)
MONTHS = (FEB, MAR)
COUNTIES = (
    ("140105", "小店区", "1401", "太原市"),
    ("140106", "迎泽区", "1401", "太原市"),
    ("140221", "阳高县", "1402", "大同市"),
    ("140222", "天镇县", "1402", "大同市"),
)
KEY_COUNTIES = ("140106", "140221")
MART_TABLES = (
    "dim_county", "dim_policy", "fct_household_month", "mart_county_scorecard", "fct_problem",
    "mart_doubt_point", "mart_feed_reporting", "mart_field_sample", "mart_evaluation_assignment",
)
#: An id number with a valid check character: 1401 05 19800101 123 + X.
HEAD_ID = "14010519800101123X"


def copy_gx_project(target: Path) -> Path:
    """The committed GX project without its uncommitted results: tests write their own."""
    source = expectations_dir()
    if source.exists():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("uncommitted"))
    else:
        target.mkdir(parents=True)
    return target


def committed_files(root: Path) -> dict[str, bytes]:
    """Every file of a GX project outside uncommitted/, by path: what an audit must not write."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "uncommitted" not in p.relative_to(root).parts
    }


def build_province(url: str) -> None:
    """Seeds, raw loads, load history, staging views and a clean build for both months."""
    with psycopg.connect(url) as conn:
        _seeds(conn)
        _raw(conn)
        _staging(conn)
        build_marts(conn)
    # The build holds February and March; the tests publish March. February stands for a month
    # whose own run audited it (a publish refuses a build adding a month without a passing
    # audit: test_publish's unaudited-month tests remove this record).
    pass_audit(url, "february-run", FEB)


def _seeds(conn: psycopg.Connection) -> None:
    conn.execute(
        "create table seeds.shanxi_counties "
        "(county_code text, county_name text, city_code text, city_name text)"
    )
    with conn.cursor() as cur:
        cur.executemany("insert into seeds.shanxi_counties values (%s, %s, %s, %s)", COUNTIES)


def _households() -> list[tuple[str, str, str, int]]:
    """(household_id, county_code, village_code, n) for n = 1, 2 in each county."""
    return [
        (f"H{county}{n}", county, f"{county}001{n:03d}", n)
        for county, *_ in COUNTIES
        for n in (1, 2)
    ]


def _raw(conn: psycopg.Connection) -> None:
    load_id = 0
    for month in MONTHS:
        for feed, rows in (
            ("registry_households", _registry_households(month)),
            ("registry_members", _registry_members(month)),
        ):
            load_id += 1
            conn.execute(
                "insert into ops.load_history (load_id, feed, month, file_name, file_path, "
                "checksum, status, rows_read, rows_loaded, rows_quarantined, finished_at) "
                "values (%s, %s, %s, %s, %s, %s, 'loaded', %s, %s, 0, now())",
                (load_id, feed, month, f"{feed}.csv", f"/landing/{feed}.csv", f"sum{load_id}",
                 len(rows), len(rows)),
            )
            columns = list(rows[0])
            statement = sql.SQL(
                "insert into raw.{} (_load_id, _snapshot_month, _source_file, _source_line, {}) "
                "values (%s, %s, %s, %s, {})"
            ).format(
                sql.Identifier(feed),
                sql.SQL(", ").join(map(sql.Identifier, columns)),
                sql.SQL(", ").join(sql.Placeholder() * len(columns)),
            )
            with conn.cursor() as cur:
                cur.executemany(
                    statement,
                    [
                        (load_id, month, f"{feed}.csv", line, *row.values())
                        for line, row in enumerate(rows, start=2)
                    ],
                )


def _registry_households(month: date) -> list[dict]:
    return [
        {
            "household_id": hid, "county_code": county, "village_code": village,
            "head_id_number": HEAD_ID, "household_type": "out_of_poverty",
            "monitoring_type": "unstable" if n == 1 else "none",
            "monitoring_status": "at_risk" if n == 1 else "not_monitored",
            "identified_on": date(2020, 6, 1) if n == 1 else None,
            "per_capita_net_income": 8000,
        }
        for hid, county, village, n in _households()
    ]


def _registry_members(month: date) -> list[dict]:
    return [
        {
            "household_id": hid, "id_number": f"{county}19800101{i:03d}X",
            "name": "张三", "relation": "head", "labour_capacity": "ordinary",
            "health": "healthy",
        }
        for i, (hid, county, _village, _n) in enumerate(_households())
    ]


def _staging(conn: psycopg.Connection) -> None:
    """One view per feed, shaped like dbt's staging (metadata renamed, name → person_name)."""
    for feed in FEEDS.values():
        columns = [
            sql.SQL("{} as {}").format(
                sql.Identifier(c.name),
                sql.Identifier("person_name" if c.name == "name" else c.name),
            )
            for c in feed.columns
        ]
        conn.execute(
            sql.SQL(
                "create view staging.{} as select _snapshot_month as snapshot_month, {}, "
                "_load_id as load_id, _source_file as source_file, _source_line as source_line "
                "from raw.{}"
            ).format(
                sql.Identifier(f"stg_{feed.name}__rows"),
                sql.SQL(", ").join(columns),
                sql.Identifier(feed.name),
            )
        )


def build_marts(conn: psycopg.Connection, schema: str = "marts_build", tag: str = "v1") -> None:
    """Every mart of docs/contract/MARTS.md in ``schema``; ``tag`` tells builds apart."""
    s = sql.Identifier(schema)
    keys = sql.SQL(", ").join(sql.Literal(k) for k in KEY_COUNTIES)
    statements = [
        "drop schema if exists {s} cascade",
        "create schema {s}",
        """create table {s}.dim_county as
           select county_code, county_name, city_code, city_name,
                  county_code in ({keys}) as is_key_county, {tag}::text as build_tag
           from seeds.shanxi_counties""",
        """create table {s}.fct_household_month as
           with hh as (
               select household_id, county_code, village_code, monitoring_type,
                      monitoring_status, household_id like '%%2' and county_code = '140105'
                          as income_low
               from raw.registry_households where _snapshot_month = '2021-03-01'
           ), months as (
               select d::date as month
               from generate_series(date '2021-02-01', date '2021-03-01', interval '1 month') d
           ), signals as (
               select m.month, h.household_id, h.county_code, h.village_code,
                      left(h.county_code, 6) || '********123X' as head_id_masked,
                      3 as member_count, 8000.00::numeric(14, 2) as per_capita_net_income,
                      'out_of_poverty'::text as household_type, h.monitoring_type,
                      h.monitoring_status,
                      false as sig_edu_dropout, false as sig_edu_unverified,
                      false as sig_med_uninsured, false as sig_med_unverified,
                      false as sig_med_burden, false as sig_house_unsafe,
                      false as sig_house_unverified, false as sig_water_unsafe,
                      false as sig_water_unverified, false as sig_disaster, false as sig_job_none,
                      h.income_low as sig_income_low, false as sig_safety_net_gap
               from hh h cross join months m
           ), derived as (
               select *,
                      not (sig_edu_dropout or sig_edu_unverified) as education_ok,
                      not (sig_med_uninsured or sig_med_unverified) as medical_ok,
                      not (sig_house_unsafe or sig_house_unverified) as housing_ok,
                      not (sig_water_unsafe or sig_water_unverified) as water_ok,
                      sig_income_low or sig_edu_dropout or sig_med_uninsured or sig_med_burden
                      or sig_house_unsafe or sig_water_unsafe or sig_disaster
                      or sig_safety_net_gap as should_monitor
               from signals
           )
           select *,
                  should_monitor and monitoring_status <> 'at_risk' as missed_identification,
                  should_monitor and monitoring_status = 'eliminated'
                      as relapse_after_elimination
           from derived""",
        """create table {s}.mart_county_scorecard as
           with counts as (
               select f.month, f.county_code, count(*) as households,
                      sum(member_count) as persons,
                      count(*) filter (where household_type = 'out_of_poverty')
                          as out_of_poverty_households,
                      count(*) filter (where monitoring_status = 'at_risk') as at_risk_households,
                      count(*) filter (where monitoring_status = 'eliminated')
                          as eliminated_households,
                      count(*) filter (where missed_identification) as missed_identifications
               from {s}.fct_household_month f group by f.month, f.county_code
           )
           select c.*, 0 as problems_found, 0 as problems_rectified,
                  0.9::numeric as education_rate, 1.0::numeric as medical_rate,
                  1.0::numeric as housing_rate, 1.0::numeric as water_rate,
                  0.8::numeric as employment_rate,
                  1 - c.missed_identifications::numeric / c.households as identification_rate,
                  null::numeric as rectification_rate, 0::numeric as wrong_exit_rate,
                  8000::numeric as income_median, 0.05::numeric as income_growth,
                  90::numeric as score,
                  case when d.is_key_county then rank() over (
                      partition by c.month, d.is_key_county order by c.county_code) end
                      as key_rank,
                  d.is_key_county, d.county_name, true as scored,
                  null::text as not_scored_reason
           from counts c join {s}.dim_county d using (county_code)""",
        """create table {s}.fct_problem as
           select * from (values
               ('H1401052', '140105', 'EDU_DROPOUT', date '2021-02-01', date '2021-03-01',
                'rectified'),
               ('H1402211', '140221', 'HOUSE_UNSAFE', date '2021-03-01', null::date, 'open')
           ) p (household_id, county_code, code, found_month, closed_month, outcome)""",
        """create table {s}.mart_doubt_point as
           select date '2021-03-01' as month, 'H1401051'::text as household_id,
                  '140105'::text as county_code, 'AT_RISK_WITHOUT_CAUSE'::text as code""",
        """create table {s}.mart_feed_reporting as
           select m.month, f.feed, true as arrived, now() as first_loaded_at, true as on_time,
                  100 as rows_loaded, 0 as rows_quarantined, 1.0::numeric as coverage,
                  10 as target_registered, 10 as target_covered,
                  1.0::numeric as target_coverage
           from (values (date '2021-02-01'), (date '2021-03-01')) m (month)
           cross join (values {feeds}) f (feed)""",
        """create table {s}.dim_policy as
           select 2021 as year, p.parameter, p.value, cast(p.value as text) as value_text,
                  'weight'::text as meaning_en, '县级考核权重'::text as meaning_zh,
                  'seed'::text as source
           from (values ('score_weight_education', 0.4), ('score_weight_medical', 0.1),
                        ('score_weight_housing', 0.1), ('score_weight_water', 0.1),
                        ('score_weight_employment', 0.1), ('score_weight_identification', 0.1),
                        ('score_weight_rectification', 0.1)) p (parameter, value)""",
        """create table {s}.mart_field_sample as
           select f.month, f.county_code, f.household_id, f.village_code,
                  'random'::text as reason
           from {s}.fct_household_month f where f.county_code in ({keys})""",
        """create table {s}.mart_evaluation_assignment as
           select * from (values (2021, '140106', '1402'), (2021, '140221', '1401'))
               a (year, county_code, evaluating_city_code)""",
    ]
    feeds = sql.SQL(", ").join(sql.SQL("({})").format(sql.Literal(f)) for f in FEEDS)
    for statement in statements:
        conn.execute(sql.SQL(statement).format(s=s, keys=keys, tag=sql.Literal(tag), feeds=feeds))


def pass_audit(url: str, run_id: str, month: date) -> None:
    """A passing audit record, for tests of the swap itself (the audit has its own tests)."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into ops.audit_result (run_id, month, suite, check_name, severity, passed) "
            "values (%s, %s, 'test', 'stand_in', 'blocking', true)",
            (run_id, month),
        )


def snapshot(url: str, schema: str = "marts") -> dict[str, list[tuple]]:
    """Every row of every mart in ``schema``, sorted: compare two of these row for row."""
    with psycopg.connect(url) as conn:
        return {
            t: sorted(
                conn.execute(sql.SQL("select * from {}").format(sql.Identifier(schema, t)))
                .fetchall(),
                key=repr,
            )
            for t in MART_TABLES
        }
