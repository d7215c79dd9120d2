"""What evaluators, BI tools and field teams can and cannot read, and the evaluator questions.

On a generated province published end to end without Airflow (``conftest.evaluation_province``),
each role is taken on with ``set role`` inside a superuser session, which checks privileges and
row-level security exactly as for a login user that is a member of the role; one test also makes
a real LOGIN member of two field teams (dropped afterwards).
"""

from __future__ import annotations

import re
import textwrap
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from fangpin.config import project_root

pytestmark = pytest.mark.slow

QUESTIONS = project_root() / "docs" / "evaluator_questions"
READERS = ("evaluator", "bi_reader")
CONTACT = "mart_field_sample_contact"
#: Relations a mart reader must be refused: one per schema that is not ``marts``, and the
#: intermediate table that holds the sampled heads' plain names.
NOT_FOR_READERS = (
    "raw.registry_members",
    "raw.registry_households",
    "ops.load_history",
    "ops.quarantine",
    "ops.feed_delivery",
    "staging.stg_registry_members__members",
    "intermediate.int_household_month",
    "intermediate.int_field_sample_head",
    "seeds.policy_parameters",
    f"marts.{CONTACT}",
)


@pytest.fixture(scope="module")
def url(evaluation_province) -> str:  # the session fixture of conftest.py
    return evaluation_province.url


@pytest.fixture(scope="module")
def latest(url: str) -> date:
    return query(url, "select max(month) as m from marts.fct_household_month")[0]["m"]


# --- helpers -------------------------------------------------------------------------------


def query(url: str, text: str, params: tuple = (), role: str | None = None) -> list[dict]:
    """Rows as dicts, as ``role`` when given (``set role`` in a superuser session)."""
    with psycopg.connect(url) as conn:
        if role:
            conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
        cur = conn.execute(text, params or None)  # no params: a '%' in a comment is text
        names = [c.name for c in cur.description] if cur.description else []
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def refused(url: str, role: str, relation: str) -> bool:
    try:
        query(url, f"select 1 from {relation} limit 1", role=role)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def question(name: str) -> Path:
    (path,) = QUESTIONS.glob(f"{name}_*.sql")
    return path


def ask(url: str, name: str, role: str = "evaluator", **params: object) -> list[dict]:
    """Run a question's SQL file as ``role``, its null parameters replaced by ``params``."""
    text = question(name).read_text(encoding="utf-8")
    for key, value in params.items():
        pattern = re.compile(rf"cast\(null as (\w+)\) as {key}\b")
        assert pattern.search(text), f"{name} has no parameter {key}"
        literal = value.isoformat() if isinstance(value, date) else str(value)
        text = pattern.sub(
            lambda m, lit=literal, k=key: f"cast('{lit}' as {m.group(1)}) as {k}", text
        )
    return query(url, text, role=role)


def selectable_text_columns(url: str, role: str) -> list[tuple[str, str, str]]:
    """Every text column of every table or view ``role`` can select from, in any schema."""
    rows = query(
        url,
        """
        select n.nspname as schema, c.relname as relation, a.attname as column_name
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where c.relkind in ('r', 'p', 'v', 'm', 'f')
          and n.nspname not in ('pg_catalog', 'information_schema')
          and n.nspname not like 'pg_toast%%'
          and has_schema_privilege(%s, n.oid, 'USAGE')
          and (has_table_privilege(%s, c.oid, 'SELECT')
               or has_column_privilege(%s, c.oid, a.attnum, 'SELECT'))
          and a.atttypid in ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype,
                             'name'::regtype, 'json'::regtype, 'jsonb'::regtype)
        order by 1, 2, 3
        """,
        (role, role, role),
    )
    return [(r["schema"], r["relation"], r["column_name"]) for r in rows]


# --- mart readers --------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_mart_readers_read_every_published_mart_but_the_contact_list(url: str, role: str) -> None:
    tables = [
        r["relname"]
        for r in query(
            url,
            "select relname from pg_class where relnamespace = 'marts'::regnamespace "
            "and relkind in ('r', 'p', 'v', 'm') order by 1",  # p: fct_household_month
        )
    ]
    for expected in (
        "dim_county", "dim_policy", "fct_household_month", "fct_problem",
        "mart_county_scorecard", "mart_evaluation_assignment", "mart_field_sample",
        "mart_feed_reporting", CONTACT,
    ):
        assert expected in tables
    seen = {}
    for table in tables:
        if table == CONTACT:
            assert refused(url, role, f"marts.{table}")
            continue
        count = f"select count(*) as n from marts.{table}"
        # The reader sees every row the pipeline sees: no policy or grant hides any of them.
        seen[table] = query(url, count, role=role)[0]["n"]
        assert seen[table] == query(url, count)[0]["n"], table
    assert seen["fct_household_month"] > 0 and seen["mart_county_scorecard"] > 0


@pytest.mark.parametrize("role", READERS)
def test_mart_readers_are_refused_raw_ops_staging_and_the_previous_marts(
    url: str, role: str
) -> None:
    for relation in NOT_FOR_READERS:
        assert refused(url, role, relation), f"{role} can read {relation}"
    # The previous marts (the February publish) are still there, but not for readers.
    assert query(url, "select count(*) as n from marts_prev.mart_county_scorecard")[0]["n"] > 0
    assert refused(url, role, "marts_prev.mart_county_scorecard")
    # The month partitions of fct_household_month: only through marts.fct_household_month.
    partition = query(url, "select c.relname as name from pg_inherits i join pg_class c "
                      "on c.oid = i.inhrelid limit 1")[0]["name"]
    assert refused(url, role, f"marts_partitions.{partition}")


@pytest.mark.parametrize("role", READERS)
def test_no_plain_id_number_or_name_in_anything_a_mart_reader_can_select(
    url: str, role: str
) -> None:
    columns = selectable_text_columns(url, role)
    assert columns and all(schema == "marts" for schema, _, _ in columns), columns
    assert all(relation != CONTACT for _, relation, _ in columns)
    with psycopg.connect(url) as conn:
        conn.execute(
            "create temporary table personal as "
            "select id_number as value from raw.registry_members "
            "union select name from raw.registry_members "
            "union select head_id_number from raw.registry_households"
        )
        conn.execute("create index on personal (value)")
        for schema, relation, column in columns:
            found = conn.execute(
                sql.SQL(
                    "select count(*) from {} as t where cast(t.{} as text) in "
                    "(select value from personal)"
                ).format(sql.Identifier(schema, relation), sql.Identifier(column))
            ).fetchone()[0]
            assert found == 0, f"{role} reads plain personal data in {schema}.{relation}.{column}"
        # The check would have caught it: the contact list does hold plain names.
        leaked = conn.execute(
            f"select count(*) from marts.{CONTACT} where head_name in (select value from personal)"
        ).fetchone()[0]
        assert leaked > 0


def test_marts_have_plain_types_and_descriptions_for_bi_tools(url: str) -> None:
    """No arrays or JSON in what BI tools read, and every table and column is described."""
    columns = query(
        url,
        "select c.table_name, c.column_name, c.data_type, "
        "col_description(format('marts.%I', c.table_name)::regclass, c.ordinal_position) "
        "as description "
        "from information_schema.columns c where c.table_schema = 'marts'",
    )
    plain = {"text", "boolean", "integer", "bigint", "numeric", "date",
             "timestamp with time zone"}
    odd = [(c["table_name"], c["column_name"], c["data_type"]) for c in columns
           if c["data_type"] not in plain]
    assert not odd, odd
    mine = ("mart_evaluation_assignment", "mart_field_sample", "mart_field_sample_contact",
            "mart_feed_reporting", "dim_policy")
    undescribed = [(c["table_name"], c["column_name"]) for c in columns
                   if c["table_name"] in mine and not c["description"]]
    assert not undescribed, undescribed


# --- the policy and coverage, as the guide shows them ------------------------------------


def guide_queries(table: str) -> list[str]:
    """The SQL blocks of docs/EVALUATOR_GUIDE.md that read ``marts.<table>``."""
    text = (project_root() / "docs" / "EVALUATOR_GUIDE.md").read_text(encoding="utf-8")
    blocks = [textwrap.dedent(b) for b in re.findall(r"```sql\n(.*?)```", text, re.S)]
    return [b for b in blocks if f"marts.{table}" in b]


@pytest.mark.parametrize("role", READERS)
def test_the_policy_in_force_is_readable_as_the_guide_shows(url: str, role: str) -> None:
    """An evaluator reads every parameter, and recomputes the score from the published weights."""
    policy, recompute = guide_queries("dim_policy")
    rows = query(url, policy, role=role)
    shown = {r["parameter"]: r for r in rows}
    for name in ("score_weight_education", "score_weight_rectification", "monitoring_threshold",
                 "dibao_standard", "compulsory_age_min", "working_age_max", "sample_size",
                 "due_day", "key_county_count", "medical_burden_ratio"):
        assert shown[name]["value_text"] and shown[name]["meaning_zh"], name
    assert shown["sample_size"]["value_text"] == "20"
    assert all(r["source"] == "seed" for r in rows)
    scores = query(url, recompute, role=role)
    assert len(scores) > 40
    assert all(r["score"] == r["recomputed"] for r in scores), [
        r for r in scores if r["score"] != r["recomputed"]][:3]


def test_target_coverage_is_readable_as_the_guide_shows(url: str, latest: date) -> None:
    (text,) = guide_queries("mart_feed_reporting")
    rows = {r["feed"]: r for r in query(url, text, role="evaluator")}
    assert len(rows) == 8
    assert rows["social_assistance"]["target_population"] is None
    assert rows["social_assistance"]["target_coverage"] is None
    education = rows["education"]
    if education["target_coverage"] is not None and education["target_covered"]:
        # The education feed covers school-age children far better than it covers everyone.
        assert education["target_coverage"] > education["coverage"]
    # Against the facts: the school-age members of the month are the education target.
    (facts,) = query(
        url,
        "select sum(compulsory_age_members) as school_age, "
        "sum(working_age_labour) as labour from marts.fct_household_month where month = %s",
        (latest,),
    )
    assert education["target_registered"] == facts["school_age"]
    assert rows["employment"]["target_registered"] == facts["labour"]
    # Medical, housing, water and the registry feeds are measured against their own basis.
    same = query(url, "select feed, registered, covered, target_registered, target_covered "
                 "from marts.mart_feed_reporting where target_population = coverage_basis",
                 role="evaluator")
    assert {r["feed"] for r in same} == {"registry_households", "registry_members", "medical",
                                         "housing", "water"}
    assert all((r["registered"], r["covered"]) == (r["target_registered"], r["target_covered"])
               for r in same)


# --- field teams ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_cities(url: str, latest: date) -> tuple[str, str]:
    rows = query(
        url,
        f"select evaluating_city_code as city, count(*) as n from marts.{CONTACT} "
        "where month = %s group by 1 order by 2 desc, 1 limit 2",
        (latest,),
    )
    assert len(rows) == 2
    return rows[0]["city"], rows[1]["city"]


def test_a_field_team_sees_only_its_own_city_with_plain_names(
    url: str, two_cities: tuple[str, str]
) -> None:
    for city in two_cities:
        role = f"field_team_{city}"
        seen = query(url, f"select * from marts.{CONTACT}", role=role)
        expected = query(
            url, f"select count(*) as n from marts.{CONTACT} where evaluating_city_code = %s",
            (city,),
        )[0]["n"]
        assert seen and len(seen) == expected
        assert {r["evaluating_city_code"] for r in seen} == {city}
        assert all(r["head_name"] and "*" not in r["head_name"] for r in seen)
        other = two_cities[1] if city == two_cities[0] else two_cities[0]
        assert not query(
            url, f"select 1 from marts.{CONTACT} where evaluating_city_code = %s", (other,),
            role=role,
        )


def test_field_teams_read_the_contact_list_and_nothing_else(
    url: str, two_cities: tuple[str, str]
) -> None:
    role = f"field_team_{two_cities[0]}"
    for relation in (
        *NOT_FOR_READERS[:-1], "marts.mart_field_sample", "marts.fct_household_month",
        "marts.mart_county_scorecard", f"marts_prev.{CONTACT}",
    ):
        assert refused(url, role, relation), f"{role} can read {relation}"
    columns = selectable_text_columns(url, role)
    assert {relation for _, relation, _ in columns} == {CONTACT}
    assert "id_number" not in " ".join(column for _, _, column in columns).replace("masked", "")


def test_every_city_has_a_field_team_role_and_the_policy_is_on_the_published_table(
    url: str,
) -> None:
    cities = {r["city_code"] for r in query(url, "select distinct city_code from marts.dim_county")}
    roles = {
        r["rolname"] for r in query(
            url, "select rolname from pg_roles where rolname like 'field\\_team\\_%'"
        )
    }
    assert {f"field_team_{c}" for c in cities} <= roles
    table = query(
        url,
        "select relrowsecurity, relforcerowsecurity from pg_class "
        "where oid = %s::regclass",
        (f"marts.{CONTACT}",),
    )[0]
    assert table["relrowsecurity"]
    policies = query(
        url, "select polname, polcmd from pg_policy where polrelid = %s::regclass",
        (f"marts.{CONTACT}",),
    )
    assert [(p["polname"], p["polcmd"]) for p in policies] == [("field_team_reads_own_city", "r")]


def test_a_login_member_of_two_field_teams_sees_both_cities(
    url: str, two_cities: tuple[str, str]
) -> None:
    user = f"fangpin_test_field_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login").format(sql.Identifier(user)))
        try:
            for city in two_cities:
                conn.execute(
                    sql.SQL("grant {} to {}").format(
                        sql.Identifier(f"field_team_{city}"), sql.Identifier(user)
                    )
                )
            seen = query(
                url,
                f"select evaluating_city_code as city, count(*) as n from marts.{CONTACT} "
                "group by 1 order by 1",
                role=user,
            )
            assert {r["city"] for r in seen} == set(two_cities)
            assert refused(url, user, "marts.fct_household_month")
        finally:
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(user)))


def test_setting_the_warehouse_up_again_keeps_the_grants(
    url: str, two_cities: tuple[str, str]
) -> None:
    from fangpin.pipeline.setup import ensure_warehouse

    before = query(url, f"select count(*) as n from marts.{CONTACT}",
                   role=f"field_team_{two_cities[0]}")[0]["n"]
    ensure_warehouse(url)  # what every `fangpin run` does first; grant_marts on marts again
    assert refused(url, "evaluator", f"marts.{CONTACT}")
    assert refused(url, "bi_reader", f"marts.{CONTACT}")
    after = query(url, f"select count(*) as n from marts.{CONTACT}",
                  role=f"field_team_{two_cities[0]}")[0]["n"]
    assert after == before > 0
    assert query(url, "select count(*) as n from marts.mart_field_sample", role="bi_reader")


# --- the evaluation marts ------------------------------------------------------------------


def test_assignment_every_key_county_once_never_own_city_balanced(url: str) -> None:
    rows = query(
        url,
        "select a.year, a.county_code, a.evaluating_city_code, d.city_code "
        "from marts.mart_evaluation_assignment a join marts.dim_county d using (county_code)",
    )
    key = {r["county_code"] for r in query(
        url, "select county_code from marts.dim_county where is_key_county")}
    cities = {r["city_code"] for r in query(url, "select distinct city_code from marts.dim_county")}
    assert {r["year"] for r in rows} == {2021}
    assert sorted(r["county_code"] for r in rows) == sorted(key)
    assert all(r["evaluating_city_code"] != r["city_code"] for r in rows)
    loads = {city: 0 for city in cities}
    for r in rows:
        loads[r["evaluating_city_code"]] += 1
    assert max(loads.values()) - min(loads.values()) <= 1, loads


# --- the ten evaluator questions -----------------------------------------------------------


def test_there_are_ten_questions_each_with_an_english_and_chinese_title() -> None:
    files = sorted(QUESTIONS.glob("*.sql"))
    assert [f.name[:3] for f in files] == [f"{i:02d}_" for i in range(1, 11)]
    for f in files:
        head = f.read_text(encoding="utf-8").splitlines()[:2]
        assert head[0].startswith("-- Q") and re.search(r"[\u4e00-\u9fff]", head[1]), f.name


def test_q01_counties_fallen_in_rank(url: str, evaluation_province) -> None:
    for month in evaluation_province.months[1:]:
        rows = ask(url, "01", month=month)
        expected = query(
            url,
            "select county_code from marts.mart_county_scorecard "
            "where month = %s and is_key_county and key_rank_change < 0",
            (month,),
        )
        assert sorted(r["county_code"] for r in rows) == sorted(r["county_code"] for r in expected)
        for r in rows:
            assert r["key_rank"] > r["previous_rank"] and r["places_lost"] > 0
            assert r["main_cause"] in {
                "education", "medical", "housing", "water", "employment", "identification",
                "rectification", "others rose more",
            }
    assert ask(url, "01")  # the latest month: some county always falls in this province


def test_q02_missed_households_in_a_county(url: str, evaluation_province) -> None:
    for month in evaluation_province.months:
        rows = ask(url, "02", month=month)
        assert rows, f"no missed household in {month}"
        (county,) = {r["county_code"] for r in rows}
        assert all(r["missed_identification"] for r in rows)
        assert all(r["monitoring_status"] != "at_risk" and r["monitoring_signals"] for r in rows)
        direct = query(
            url,
            "select household_id from marts.fct_household_month "
            "where month = %s and county_code = %s and missed_identification",
            (month, county),
        )
        assert sorted(r["household_id"] for r in rows) == sorted(r["household_id"] for r in direct)
    # An explicit county with none missed gives no rows.
    calm = query(
        url,
        "select county_code from marts.fct_household_month where month = %s group by 1 "
        "having bool_and(not missed_identification) order by 1 limit 1",
        (evaluation_province.months[-1],),
    )[0]["county_code"]
    assert ask(url, "02", county_code=calm) == []


def test_q03_open_problems_per_city(url: str) -> None:
    rows = ask(url, "03")
    direct = query(
        url,
        "select d.city_code, count(*) as n from marts.fct_problem p "
        "join marts.dim_county d using (county_code) where p.outcome = 'open' group by 1",
    )
    assert {r["city_code"]: r["open_problems"] for r in rows} == {
        r["city_code"]: r["n"] for r in direct
    }
    for r in rows:
        assert r["open_problems"] == sum(
            r[c] for c in ("edu_dropout", "med_uninsured", "house_unsafe", "water_unsafe",
                           "disaster", "safety_net_gap")
        )


def test_q04_wrong_exit_rate_over_the_limit(url: str, evaluation_province) -> None:
    for month in evaluation_province.months:
        for limit in ("0.02", "0"):
            text = question("04").read_text(encoding="utf-8").replace(
                "cast(0.02 as numeric)", f"cast({limit} as numeric)"
            )
            text = text.replace("cast(null as date) as month", f"cast('{month}' as date) as month")
            rows = query(url, text, role="evaluator")
            direct = query(
                url,
                "select count(*) as n from marts.mart_county_scorecard "
                "where month = %s and wrong_exit_rate > %s",
                (month, float(limit)),
            )[0]["n"]
            assert len(rows) == direct
            assert all(float(r["wrong_exit_rate"]) > float(limit) for r in rows)
    with_any = query(
        url, "select count(*) as n from marts.mart_county_scorecard where wrong_exit_rate > 0"
    )[0]["n"]
    assert with_any > 0


def test_q05_late_or_missing_feeds_match_the_generator(
    url: str, evaluation_province
) -> None:
    import json

    rows = ask(url, "05")
    truth = json.loads((evaluation_province.landing / "_truth" / "manifest.json").read_text())
    expected = set()
    for month, info in truth["per_month"].items():
        for feed in info["absent"]:
            expected.add((month, feed))
        for feed, delivery in info["feeds"].items():
            if not delivery["on_time"]:
                expected.add((month, feed))
    assert expected, "the generator makes at least one feed late from three months on"
    assert {(f"{r['month']:%Y-%m}", r["feed"]) for r in rows} == expected
    for r in rows:
        assert (r["arrived"] and r["days_late"] > 0) or (not r["arrived"] and r["coverage"] == 0)


def test_q06_rectification_trend(url: str, evaluation_province) -> None:
    rows = ask(url, "06")
    assert [r["month"] for r in rows] == evaluation_province.months
    direct = query(
        url,
        "select month, sum(problems_found) as f, sum(problems_rectified) as r "
        "from marts.mart_county_scorecard group by 1 order by 1",
    )
    assert [(r["problems_found"], r["problems_rectified"]) for r in rows] == [
        (d["f"], d["r"]) for d in direct
    ]
    assert all(r["rectification_rate"] is None or 0 <= r["rectification_rate"] <= 1 for r in rows)
    assert rows[0]["rectification_rate_change"] is None
    assert rows[-1]["problems_rectified"] > 0


def test_q07_medical_rate_dropped(url: str, evaluation_province) -> None:
    for month in evaluation_province.months[1:]:
        rows = ask(url, "07", month=month)
        direct = query(
            url,
            "select count(*) as n from marts.mart_county_scorecard cur "
            "join marts.mart_county_scorecard prev on prev.county_code = cur.county_code "
            "and prev.month = cur.month - interval '1 month' "
            "where cur.month = %s and cur.medical_rate < prev.medical_rate",
            (month,),
        )[0]["n"]
        assert len(rows) == direct
        assert all(r["medical_rate_change"] < 0 for r in rows)


def test_q08_relapsed_after_elimination(url: str, evaluation_province) -> None:
    total = 0
    for month in evaluation_province.months:
        rows = ask(url, "08", month=month)
        direct = query(
            url,
            "select count(*) as n from marts.fct_household_month "
            "where month = %s and relapse_after_elimination",
            (month,),
        )[0]["n"]
        assert len(rows) == direct
        assert all(
            r["relapse_after_elimination"] and r["monitoring_status"] == "eliminated"
            and r["monitoring_signals"]
            for r in rows
        )
        total += len(rows)
    assert total > 0


def test_q09_field_sample_for_each_evaluating_city(url: str, latest: date) -> None:
    assignment = query(
        url, "select county_code, evaluating_city_code from marts.mart_evaluation_assignment "
        "where year = %s", (latest.year,),
    )
    cities = sorted({a["evaluating_city_code"] for a in assignment})
    assert ask(url, "09")[0]["evaluating_city_code"] == cities[0]
    for city in cities:
        rows = ask(url, "09", evaluating_city_code=city)
        mine = {a["county_code"] for a in assignment if a["evaluating_city_code"] == city}
        assert {r["county_code"] for r in rows} <= mine
        direct = query(
            url, "select count(*) as n from marts.mart_field_sample "
            "where month = %s and evaluating_city_code = %s", (latest, city),
        )[0]["n"]
        assert len(rows) == direct > 0
        assert all(r["evaluating_city_code"] == city for r in rows)
        assert all(r["head_name_masked"] is None or "*" in r["head_name_masked"] for r in rows)
    # A field team reads the same rows, with names, from the contact list.
    team = query(url, f"select household_id from marts.{CONTACT} where month = %s",
                 (latest,), role=f"field_team_{cities[0]}")
    assert sorted(t["household_id"] for t in team) == sorted(
        r["household_id"] for r in ask(url, "09", evaluating_city_code=cities[0])
    )


def test_q10_lowest_income_growth(url: str, latest: date) -> None:
    rows = ask(url, "10")
    key = query(url, "select count(*) as n from marts.dim_county where is_key_county")[0]["n"]
    assert len(rows) == min(10, key)
    assert all(r["month"] == latest for r in rows)
    in_order = [
        (r["income_growth"] is None, r["income_growth"] or 0,
         r["growth_since_year_start"] is None, r["growth_since_year_start"] or 0)
        for r in rows
    ]
    assert in_order == sorted(in_order)
    direct = query(
        url,
        "select county_code, income_median from marts.mart_county_scorecard "
        "where month = %s and is_key_county",
        (latest,),
    )
    medians = {d["county_code"]: d["income_median"] for d in direct}
    assert all(medians[r["county_code"]] == r["income_median"] for r in rows)


def test_grants_and_row_security_hold_through_a_rollback_and_back(
    url: str, two_cities: tuple[str, str], latest: date
) -> None:
    """``fangpin publish --rollback`` swaps the previous marts back; roles must still hold."""
    from fangpin.publish import rollback

    team = f"field_team_{two_cities[0]}"

    def check(expected_month: date) -> None:
        assert query(url, "select max(month) as m from marts.fct_household_month",
                     role="evaluator")[0]["m"] == expected_month
        assert refused(url, "evaluator", f"marts.{CONTACT}")
        assert refused(url, "bi_reader", f"marts.{CONTACT}")
        assert refused(url, "evaluator", "marts_prev.mart_county_scorecard")
        assert refused(url, team, f"marts_prev.{CONTACT}")
        seen = query(url, f"select distinct evaluating_city_code as c from marts.{CONTACT}",
                     role=team)
        assert [r["c"] for r in seen] == [two_cities[0]]

    rollback(url, "test-rollback")
    try:
        check(date(latest.year, latest.month - 1, 1))
    finally:
        rollback(url, "test-roll-forward")
    check(latest)


@pytest.fixture(autouse=True, scope="module")
def _report_timings(evaluation_province) -> Iterator[None]:
    yield
    print(f"\nevaluation province build timings (s): {evaluation_province.timings}")
