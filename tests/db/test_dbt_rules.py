"""The dbt models against docs/contract/RULES.md, on the province of tests/oracle/province.py.

One module database; the province's raw rows are inserted directly into ``raw.<feed>`` and the
months 2020-01, 2021-01 .. 2021-04 are built in order with ``dbt_build``: one build per month
covers every case (a household per case, each just meeting or just missing its rule). The
incremental and failure tests come last because they rebuild months.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import yaml
from oracle import province as P
from oracle import rules
from psycopg.rows import dict_row

from fangpin.config import dbt_project_dir
from fangpin.transform.dbt import DbtFailed, dbt_build

# Five dbt builds of the oracle province: minutes (make test-fast skips it).
pytestmark = pytest.mark.slow

JAN20, JAN, FEB, MAR, APR = P.BUILD_MONTHS
HISTORY = (
    "int_household_month",
    "int_feed_linkage_month",
    "int_orphan_member_month",
    "int_feed_coverage_month",
    "int_feed_target_month",
    "int_field_sample_draw",
    "int_field_sample_head",
    "int_doubt_point_month",
    # chained from the month before (issue 17): a full build gives the rows the chain gave
    "int_problem_month",
    "int_county_score_month",
)


@dataclass
class Province:
    url: str
    # after each build: (table, month, row) -> xmin of every row of the HISTORY tables
    xmins: dict[date, dict[tuple[str, date, str], str]] = field(default_factory=dict)

    def query(self, sql: str, params: tuple | list = ()) -> list[dict]:
        with psycopg.connect(self.url, row_factory=dict_row) as conn:
            return conn.execute(sql, params).fetchall()

    def household(self, month: date, household_id: str) -> dict:
        rows = self.query(
            "select * from marts_build.fct_household_month where month = %s and household_id = %s",
            (month, household_id),
        )
        assert len(rows) == 1, (month, household_id)
        return rows[0]


def _xmins(url: str) -> dict[tuple[str, date, str], str]:
    """The xmin of every row of every incremental history table, keyed by table, month, row."""
    xmins: dict[tuple[str, date, str], str] = {}
    with psycopg.connect(url) as conn:
        for table in HISTORY:
            rows = conn.execute(
                f"select month, t::text, xmin::text from intermediate.{table} as t"
            ).fetchall()
            xmins.update({(table, m, r): x for m, r, x in rows})
    return xmins


@pytest.fixture(scope="module")
def dbt_scratch(tmp_path_factory: pytest.TempPathFactory):
    """dbt's target and logs in a folder of this module: concurrent runs do not share them."""
    folder = tmp_path_factory.mktemp("dbt")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_TARGET_PATH", str(folder / "target"))
        mp.setenv("DBT_LOG_PATH", str(folder / "logs"))
        yield folder


@pytest.fixture(scope="module")
def province(module_warehouse_db: str, dbt_scratch: Path) -> Province:
    with psycopg.connect(module_warehouse_db) as conn:
        P.insert_raw(conn, P.FEEDS)
    built = Province(module_warehouse_db)
    for month in P.BUILD_MONTHS:
        dbt_build(module_warehouse_db, month)
        built.xmins[month] = _xmins(module_warehouse_db)
    return built


def _true_signals(row: dict) -> set[str]:
    return {k for k, v in row.items() if k.startswith("sig_") and v}


# --- household signals ----------------------------------------------------------------------


@pytest.mark.parametrize("household_id", sorted(P.EXPECTED[JAN]))
def test_january_signals_of_each_case(province: Province, household_id: str) -> None:
    row = province.household(JAN, household_id)
    assert _true_signals(row) == P.EXPECTED[JAN][household_id]


@pytest.mark.parametrize(
    ("month", "household_id"),
    [(m, h) for m in (JAN20, FEB, MAR, APR) for h in sorted(P.EXPECTED[m])],
)
def test_signals_over_the_months(province: Province, month: date, household_id: str) -> None:
    assert _true_signals(province.household(month, household_id)) == P.EXPECTED[month][household_id]


def test_age_is_taken_at_the_end_of_the_month(province: Province) -> None:
    # born 2005-02-01: 15 on 2021-01-31, 16 on 2021-02-28 - no longer of compulsory-school age
    assert province.household(JAN, "N-EDU-15-DROP")["sig_edu_dropout"]
    assert not province.household(FEB, "N-EDU-15-DROP")["sig_edu_dropout"]
    child = next(
        r["id_number"]
        for r in P.FEEDS["registry_members"]
        if r["household_id"] == "N-EDU-15-DROP" and r["relation"] == "child"
    )
    member = province.query(
        "select age, birth_date, sex from intermediate.int_member_month "
        "where month = %s and id_number = %s",
        (APR, child),
    )
    sex = "male" if int(child[16]) % 2 else "female"  # digit 17
    assert member == [{"age": 16, "birth_date": date(2005, 2, 1), "sex": sex}]


def test_assistance_in_force_is_judged_per_month(province: Province) -> None:
    # dibao ending 2021-01-01 is in force in January, not in February (same snapshot)
    assert not province.household(JAN, "N-GAP-DIBAO-ENDS-1ST")["sig_safety_net_gap"]
    assert province.household(FEB, "N-GAP-DIBAO-ENDS-1ST")["sig_safety_net_gap"]
    # dibao starting 2021-02-01 is not in force in January, is in February
    assert province.household(JAN, "N-GAP-DIBAO-STARTS-NEXT")["sig_safety_net_gap"]
    assert not province.household(FEB, "N-GAP-DIBAO-STARTS-NEXT")["sig_safety_net_gap"]


def test_a_feed_two_months_old_is_used_three_months_old_is_absent(province: Province) -> None:
    ages = province.query(
        "select month, feed, snapshot_age_months, is_present from marts_build.mart_feed_linkage "
        "where feed = 'medical' and month in (%s, %s) order by month",
        (MAR, APR),
    )
    assert [(r["snapshot_age_months"], r["is_present"]) for r in ages] == [(2, True), (3, False)]
    mar, apr = (province.household(m, "N-MED-NOROW") for m in (MAR, APR))
    assert mar["sig_med_uninsured"] and not mar["sig_med_unverified"]
    assert apr["sig_med_unverified"] and not apr["sig_med_uninsured"]


def test_an_absent_feed_sets_unverified_and_no_other_signal_resting_on_it(
    province: Province,
) -> None:
    def signals(household_id: str) -> tuple[set[str], set[str]]:
        return (
            _true_signals(province.household(MAR, household_id)),
            _true_signals(province.household(APR, household_id)),
        )

    # education absent: a 6-15 member with a record counts as without one
    assert signals("N-EDU-LATEST-DROPPED") == (
        {"sig_edu_dropout"},
        {"sig_edu_unverified", "sig_med_unverified", "sig_water_unverified"},
    )
    # employment absent: JOB_NONE false
    assert "sig_job_none" in signals("N-JOB-16-UNEMPLOYED")[0]
    assert "sig_job_none" not in signals("N-JOB-16-UNEMPLOYED")[1]
    # social assistance absent: SAFETY_NET_GAP false
    assert "sig_safety_net_gap" in signals("N-GAP")[0]
    assert "sig_safety_net_gap" not in signals("N-GAP")[1]
    # medical absent: MED_BURDEN false
    assert "sig_med_burden" in signals("N-BURDEN-ABOVE")[0]
    assert "sig_med_burden" not in signals("N-BURDEN-ABOVE")[1]
    # water absent: unverified, no longer unsafe; housing (delivered monthly) unaffected
    assert signals("N-WATER-FAILS")[1] == {"sig_med_unverified", "sig_water_unverified"}
    assert "sig_house_unsafe" in signals("N-HOUSE-D")[1]


def test_guarantees_and_monitoring_flags(province: Province) -> None:
    expected = {
        # household: (should_monitor, missed_identification, relapse_after_elimination)
        "N-BASE": (False, False, False),
        "N-MISSED": (True, True, False),
        "N-AT-RISK": (True, False, False),
        "N-ELIMINATED-RELAPSE": (True, True, True),
        "N-ELIMINATED-6M": (False, False, False),
        "N-JOB-60": (False, False, False),  # JOB_NONE is not a reason to monitor
        "N-EDU-6-NOREC": (False, False, False),  # nor is an UNVERIFIED signal
        "N-HOUSE-D": (True, True, False),
    }
    for household_id, flags in expected.items():
        row = province.household(JAN, household_id)
        got = (
            row["should_monitor"],
            row["missed_identification"],
            row["relapse_after_elimination"],
        )
        assert got == flags, household_id
    ok = {
        h: province.household(JAN, h)
        for h in ("N-EDU-6-NOREC", "N-MED-NOROW", "N-HOUSE-NONE", "N-WATER-DANGER", "N-BASE")
    }
    assert not ok["N-EDU-6-NOREC"]["education_ok"] and ok["N-EDU-6-NOREC"]["medical_ok"]
    assert not ok["N-MED-NOROW"]["medical_ok"]
    assert not ok["N-HOUSE-NONE"]["housing_ok"]
    assert not ok["N-WATER-DANGER"]["water_ok"]
    assert all(ok["N-BASE"][g] for g in ("education_ok", "medical_ok", "housing_ok", "water_ok"))


def test_year_keyed_amounts_fall_back_to_the_nearest_year_set(province: Province) -> None:
    # 2020 has a dibao standard but no monitoring threshold: the earliest (2021) applies
    row = province.household(JAN20, "L-SAFE")
    assert (row["monitoring_threshold_yuan"], row["dibao_standard_yuan"]) == (6000, 5319)
    row = province.household(JAN, "L-SAFE")
    assert (row["monitoring_threshold_yuan"], row["dibao_standard_yuan"]) == (6000, 5658)


# --- doubt points, problems ----------------------------------------------------------------


def test_registry_doubt_points(province: Province) -> None:
    rows = province.query(
        "select household_id, code from marts_build.mart_doubt_point where month = %s", (JAN,)
    )
    found: dict[str, set[str]] = {}
    for r in rows:
        found.setdefault(r["household_id"], set()).add(r["code"])
    assert found == P.EXPECTED_DOUBTS


def test_problem_ledger_found_rectified_recurrence_left_registry(province: Province) -> None:
    rows = province.query(
        "select household_id, code, found_month, closed_month, outcome "
        "from marts_build.fct_problem where county_code = %s order by household_id, found_month",
        (P.COUNTY_L,),
    )
    assert [tuple(r.values()) for r in rows] == [
        ("L-LATE", "HOUSE_UNSAFE", FEB, None, "open"),
        ("L-LEAVES", "HOUSE_UNSAFE", JAN, MAR, "left_registry"),
        ("L-RECTIFIED", "HOUSE_UNSAFE", JAN, MAR, "rectified"),
        ("L-RECURS", "HOUSE_UNSAFE", JAN, FEB, "rectified"),
        ("L-RECURS", "HOUSE_UNSAFE", MAR, None, "open"),
    ]
    ids = province.query(
        "select problem_id from marts_build.fct_problem where household_id = 'L-RECURS' order by 1"
    )
    assert [r["problem_id"] for r in ids] == [
        "L-RECURS-HOUSE_UNSAFE-202101",
        "L-RECURS-HOUSE_UNSAFE-202103",
    ]


def test_rectification_rate_counts_problems_found_since_january(province: Province) -> None:
    rows = province.query(
        "select month, problems_found, problems_rectified, rectification_rate "
        "from marts_build.mart_county_scorecard where county_code = %s and month >= %s "
        "order by month",
        (P.COUNTY_L, JAN),
    )
    got = {
        r["month"]: (r["problems_found"], r["problems_rectified"], r["rectification_rate"])
        for r in rows
    }
    expected = {
        m: (f, r, (Decimal(r) / f).quantize(Decimal("0.000001")))
        for m, (f, r) in P.RECTIFICATION_L.items()
    }
    assert got == expected  # 5 found, 2 rectified by April: 0.4


# --- scorecard -----------------------------------------------------------------------------


def _scorecard(province: Province, month: date) -> dict[str, dict]:
    rows = province.query(
        "select * from marts_build.mart_county_scorecard where month = %s", (month,)
    )
    return {r["county_code"]: r for r in rows}


def test_scores_and_key_ranks_share_equal_places(province: Province) -> None:
    for month, scores, ranks in (
        (JAN, P.SCORES_JAN, P.RANKS_JAN),
        (APR, P.SCORES_APR, P.RANKS_APR),
    ):
        card = _scorecard(province, month)
        assert {c: float(card[c]["score"]) for c in P.KEY_COUNTIES} == scores
        assert {c: card[c]["key_rank"] for c in P.KEY_COUNTIES} == ranks
        assert card[P.COUNTY_N]["key_rank"] is None and card[P.COUNTY_L]["key_rank"] is None


def test_month_on_month_changes(province: Province) -> None:
    card = _scorecard(province, APR)
    assert float(card[P.K1]["score_change"]) == 50.00 - 100.00
    assert {c: card[c]["key_rank_change"] for c in P.KEY_COUNTIES} == {
        P.K1: 0,
        P.K2: -1,
        P.K3: -1,
        P.K4: 2,
    }
    assert all(r["score_change"] is None for r in _scorecard(province, JAN).values())


def test_scorecard_rates_counts_and_income(province: Province) -> None:
    n_jan = _scorecard(province, JAN)[P.COUNTY_N]
    # five members aged 6-15, one of them enrolled
    assert n_jan["education_rate"] == Decimal("0.2")
    # eliminated: RELAPSE, 6M, 5M, NO-DATE; one relapsed
    assert (n_jan["eliminated_households"], n_jan["wrong_exit_rate"]) == (4, Decimal("0.25"))
    k1 = _scorecard(province, JAN)[P.K1]
    assert k1["education_rate"] is None and k1["rectification_rate"] is None  # no denominators
    assert k1["medical_rate"] == 1 and k1["identification_rate"] == 1
    assert all(r["medical_rate"] is None for r in _scorecard(province, APR).values())
    l_jan = _scorecard(province, JAN)[P.COUNTY_L]
    assert (l_jan["income_median"], l_jan["income_growth"]) == (Decimal("11000"), Decimal("0.1"))
    assert _scorecard(province, FEB)[P.COUNTY_L]["income_growth"] is None  # 2020-02 not built
    oracle = [r for r in rules.household_months(P.FEEDS, [JAN]) if r["county_code"] == P.COUNTY_N]
    assert n_jan["households"] == len(oracle)
    assert n_jan["persons"] == sum(r["member_count"] for r in oracle)  # the orphan is not counted
    assert n_jan["missed_identifications"] == sum(r["missed_identification"] for r in oracle)


def test_dim_county_marks_the_key_counties(province: Province) -> None:
    rows = province.query("select county_code, is_key_county from marts_build.dim_county")
    with open(dbt_project_dir() / "seeds" / "key_counties.csv", encoding="utf-8") as f:
        key = {r["county_code"] for r in csv.DictReader(f)}
    assert {r["county_code"] for r in rows if r["is_key_county"]} == key
    assert len(rows) > len(key)


# --- linkage, personal data ----------------------------------------------------------------


def test_unregistered_records_and_orphans_are_counted_per_feed(province: Province) -> None:
    rows = province.query(
        "select feed, records, linked_records, unregistered_records, "
        "orphan_records from marts_build.mart_feed_linkage where month = %s",
        (JAN,),
    )
    by_feed = {r["feed"]: r for r in rows}
    for feed in ("education", "medical", "employment", "social_assistance", "housing", "water"):
        assert by_feed[feed]["unregistered_records"] == 1, feed
        assert by_feed[feed]["records"] == by_feed[feed]["linked_records"] + 1, feed
    assert by_feed["registry_members"]["orphan_records"] == 1
    orphans = province.query(
        "select month, household_id from marts_build.mart_orphan_member order by month"
    )
    assert orphans == [{"month": m, "household_id": "N-GHOST"} for m in P.MONTHS_2021]
    # in March the household L-LEAVES is gone: its head's appraisal no longer links
    mar = province.query(
        "select unregistered_records from marts_build.mart_feed_linkage "
        "where month = %s and feed = 'housing'",
        (MAR,),
    )
    assert mar == [{"unregistered_records": 2}]


def test_marts_hold_masked_ids_and_pseudonyms_only(province: Province) -> None:
    row = province.household(JAN, "N-BASE")
    head = next(
        r["head_id_number"] for r in P.FEEDS["registry_households"] if r["household_id"] == "N-BASE"
    )
    assert row["head_id_masked"] == head[:6] + "********" + head[-4:]
    from fangpin.warehouse.pseudonym_key import pseudonym_key

    key = pseudonym_key(province.url).encode()
    assert row["head_person_key"] == hmac.new(key, head.encode(), hashlib.sha256).hexdigest()
    ids = {
        r[c]
        for feed in P.FEEDS.values()
        for r in feed
        for c in ("id_number", "head_id_number", "householder_id_number")
        if c in r
    }
    text_columns = province.query(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts_build' and data_type = 'text'"
    )
    with psycopg.connect(province.url) as conn:
        for col in text_columns:
            values = conn.execute(
                f'select distinct "{col["column_name"]}" from marts_build."{col["table_name"]}"'
            ).fetchall()
            leaked = {v for (v,) in values} & ids
            assert not leaked, col
        names = conn.execute(
            "select count(*) from information_schema.columns where "
            "table_schema = 'marts_build' and column_name in "
            "('id_number', 'head_id_number', 'person_name', 'name')"
        ).fetchone()
    assert names == (0,)


def test_every_model_and_column_is_documented(province: Province) -> None:
    declared: dict[str, set[str]] = {}
    for path in (dbt_project_dir() / "models").rglob("_*__models.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
            assert model.get("description", "").strip(), model["name"]
            for column in model["columns"]:
                assert column.get("description", "").strip(), (model["name"], column["name"])
            declared[model["name"]] = {c["name"] for c in model["columns"]}
    built = province.query(
        "select table_name, array_agg(column_name::text) as columns "
        "from information_schema.columns "
        "where table_schema in ('staging', 'intermediate', 'marts_build') group by table_name"
    )
    # every relation built is declared with exactly its columns (ephemeral models build none)
    assert {r["table_name"]: set(r["columns"]) for r in built} == {
        r["table_name"]: declared.get(r["table_name"]) for r in built
    }


# --- the oracle agrees ---------------------------------------------------------------------


def test_the_python_oracle_agrees_with_dbt_on_every_household_month(province: Province) -> None:
    oracle = {
        (r["month"], r["household_id"]): r for r in rules.household_months(P.FEEDS, P.BUILD_MONTHS)
    }
    built = {
        (r["month"], r["household_id"]): r
        for r in province.query("select * from marts_build.fct_household_month")
    }
    assert built.keys() == oracle.keys()
    differences = [
        (key, flag, built[key][flag], oracle[key][flag])
        for key in sorted(built)
        for flag in rules.FLAGS
        if built[key][flag] != oracle[key][flag]
    ]
    assert differences == []
    for key, row in built.items():
        assert row["member_count"] == oracle[key]["member_count"], key
    doubts = province.query("select month, household_id, code from marts_build.mart_doubt_point")
    assert {(r["month"], r["household_id"], r["code"]) for r in doubts} == {
        (k[0], k[1], code) for k, r in oracle.items() for code in r["doubt_points"]
    }


def test_the_python_oracle_agrees_on_the_problem_ledger(province: Province) -> None:
    oracle = rules.problem_ledger(rules.household_months(P.FEEDS, P.BUILD_MONTHS))
    built = province.query(
        "select household_id, county_code, code, found_month, closed_month, "
        "outcome from marts_build.fct_problem"
    )
    key = lambda p: (p["household_id"], p["code"], p["found_month"])  # noqa: E731
    assert sorted(built, key=key) == sorted(oracle, key=key)
    card = _scorecard(province, APR)
    for county, row in card.items():
        assert rules.rectification(oracle, county, APR) == (
            row["problems_found"],
            row["problems_rectified"],
        ), county


COVERAGE_AND_TARGETS = (
    "select * from intermediate.int_feed_coverage_month "
    "join intermediate.int_feed_target_month using (month, feed)"
)


def test_the_python_oracle_agrees_on_feed_coverage_and_the_target_populations(
    province: Province,
) -> None:
    """Coverage on the feed's basis and against the population it should cover, per month and
    feed, as the oracle reads RULES.md (ages at the month's end, skilled or ordinary labour)."""
    columns = ("coverage_basis", "registered", "covered", "target_population",
               "target_registered", "target_covered")
    oracle = {(r["month"], r["feed"]): r for r in rules.feed_coverage(P.FEEDS, P.BUILD_MONTHS)}
    built = {
        (r["month"], r["feed"]): r
        for r in province.query(COVERAGE_AND_TARGETS)
    }
    assert built.keys() == oracle.keys()
    differences = [
        (key, c, built[key][c], oracle[key][c])
        for key in sorted(built) for c in columns if built[key][c] != oracle[key][c]
    ]
    assert differences == []
    # The province makes the two figures differ: an education record outside ages 6-15, and
    # registered people who are not of working age or not able to work.
    education, employment = oracle[(JAN, "education")], oracle[(JAN, "employment")]
    assert education["target_registered"] < education["registered"]
    assert education["target_covered"] < education["covered"]
    assert employment["target_registered"] < employment["registered"]
    assert oracle[(JAN, "social_assistance")]["target_registered"] is None
    # The mart reports them beside today's coverage; a feed that did not arrive covers nobody.
    for r in province.query("select * from marts_build.mart_feed_reporting"):
        o = oracle[(r["month"], r["feed"])]
        assert (r["target_population"], r["target_registered"]) == (
            o["target_population"], o["target_registered"]), (r["month"], r["feed"])
        if o["target_population"] is None:
            assert r["target_covered"] is None and r["target_coverage"] is None
            continue
        covered = o["target_covered"] if r["arrived"] else 0
        assert r["target_covered"] == covered
        expected = (round(Decimal(covered) / o["target_registered"], 6)
                    if o["target_registered"] else None)
        assert r["target_coverage"] == expected, (r["month"], r["feed"])


# --- the policy in force, readable --------------------------------------------------------


def _seed_rows(name: str) -> list[dict]:
    with open(dbt_project_dir() / "seeds" / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _policy_tables_read() -> set[str]:
    """Every policy table a model or macro reads: policy('<name>') and the evaluation seeds."""
    names: set[str] = set()
    for path in (dbt_project_dir() / "models").rglob("*.sql"):
        text = path.read_text(encoding="utf-8")
        if path.stem == "dim_policy":
            continue
        names |= set(re.findall(r"policy\('(\w+)'\)", text))
        names |= set(re.findall(r"ref\('(evaluation_parameters)'\)", text))
    for path in (dbt_project_dir() / "macros").rglob("*.sql"):
        names |= set(re.findall(r"policy\('(\w+)'\)", path.read_text(encoding="utf-8")))
    return names


def _parameters_looked_up() -> set[str]:
    """The parameter names the models look up: ``parameter = '<name>'`` in their SQL."""
    names: set[str] = set()
    for path in (dbt_project_dir() / "models").rglob("*.sql"):
        names |= set(re.findall(r"parameter = '(\w+)'", path.read_text(encoding="utf-8")))
    return names


def _expected_policy(years: set[int]) -> dict[tuple[int, str], tuple[str, int | None]]:
    """(year, parameter) -> (value as the seed writes it, set_for_year), from the seed files."""
    def for_year(table: dict[int, str], year: int) -> tuple[str, int]:
        earlier = [y for y in table if y <= year]
        chosen = max(earlier) if earlier else min(table)
        return table[chosen], chosen

    flat = {r["parameter"]: r["value"] for r in _seed_rows("policy_parameters")}
    flat |= {f"score_weight_{r['rate']}": r["weight"] for r in _seed_rows("scorecard_weights")}
    flat |= {r["parameter"]: r["value"] for r in _seed_rows("evaluation_parameters")}
    keyed = {
        "monitoring_threshold": {int(r["year"]): r["yuan"]
                                 for r in _seed_rows("monitoring_thresholds")},
        "dibao_standard": {int(r["year"]): r["yuan"] for r in _seed_rows("dibao_standards")},
        "key_county_count": {},
    }
    for r in _seed_rows("key_counties"):
        counts = keyed["key_county_count"]
        counts[int(r["year"])] = str(int(counts.get(int(r["year"]), "0")) + 1)
    expected: dict[tuple[int, str], tuple[str, int | None]] = {}
    for year in years:
        expected |= {(year, name): (value, None) for name, value in flat.items()}
        expected |= {(year, name): for_year(table, year) for name, table in keyed.items()}
    return expected


def test_dim_policy_holds_every_parameter_the_rules_read(province: Province) -> None:
    """Every row of every policy table the models read is in dim_policy, with the seed's value,
    for every year the marts hold and every year a table sets; nothing is in it that no seed
    holds. A new policy table or parameter read by a model, left out of dim_policy, fails here."""
    tables = _policy_tables_read()
    assert tables == {"policy_parameters", "monitoring_thresholds", "dibao_standards",
                      "scorecard_weights", "key_counties", "evaluation_parameters"}
    rows = province.query("select * from marts_build.dim_policy")
    assert {r["policy_table"] for r in rows} == tables
    marts_years = {m.year for m in P.BUILD_MONTHS}
    set_years = {int(r["year"]) for name in ("monitoring_thresholds", "dibao_standards",
                                             "key_counties") for r in _seed_rows(name)}
    assert {r["year"] for r in rows} == marts_years | set_years
    assert all(r["is_marts_year"] == (r["year"] in marts_years) for r in rows)
    expected = _expected_policy(marts_years | set_years)
    found = {(r["year"], r["parameter"]): (r["value_text"], r["set_for_year"]) for r in rows}
    assert {k: (Decimal(v[0]) if v[0][0].isdigit() else v[0], v[1]) for k, v in found.items()} == {
        k: (Decimal(v[0]) if v[0][0].isdigit() else v[0], v[1]) for k, v in expected.items()}
    assert _parameters_looked_up() <= {r["parameter"] for r in rows}
    assert all(r["source"] == "seed" and r["imported_at"] is None for r in rows)
    assert all(r["meaning_en"] and r["meaning_zh"] and r["unit"] for r in rows)
    for year in marts_years:
        weights = [r["value"] for r in rows
                   if r["year"] == year and r["parameter"].startswith("score_weight_")]
        assert len(weights) == 7 and sum(weights) == 1


def test_dim_policy_gives_the_values_the_month_was_built_with(province: Province) -> None:
    """The figures the household facts were computed with are the ones dim_policy shows."""
    policy = {(r["year"], r["parameter"]): r["value"]
              for r in province.query("select * from marts_build.dim_policy")}
    facts = province.query(
        "select distinct month, monitoring_threshold_yuan, dibao_standard_yuan "
        "from marts_build.fct_household_month"
    )
    assert {f["month"] for f in facts} == set(P.BUILD_MONTHS)
    for f in facts:
        assert f["monitoring_threshold_yuan"] == policy[(f["month"].year, "monitoring_threshold")]
        assert f["dibao_standard_yuan"] == policy[(f["month"].year, "dibao_standard")]
    (key,) = province.query("select count(*) as n from marts_build.dim_county where is_key_county")
    assert policy[(APR.year, "key_county_count")] == key["n"]


# --- incremental by month (these rebuild months: keep them last) ------------------------------


def test_building_a_later_month_leaves_earlier_months_untouched(province: Province) -> None:
    for earlier, later in zip(P.BUILD_MONTHS, P.BUILD_MONTHS[1:], strict=False):
        before = {k: x for k, x in province.xmins[earlier].items() if k[1] <= earlier}
        after = {k: x for k, x in province.xmins[later].items() if k[1] <= earlier}
        assert after == before, f"building {later} rewrote rows of months up to {earlier}"
        for table in HISTORY:
            assert any(k[:2] == (table, later) for k in province.xmins[later]), (table, later)


def _history(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        return {
            table: sorted(
                tuple(str(v) for v in row)
                for row in conn.execute(f"select * from intermediate.{table}").fetchall()
            )
            for table in HISTORY
        }


def test_rebuilding_a_month_replaces_exactly_that_month(province: Province) -> None:
    before_rows, before_xmins = _history(province.url), _xmins(province.url)
    dbt_build(province.url, FEB)
    after_xmins = _xmins(province.url)
    assert _history(province.url) == before_rows
    assert after_xmins.keys() == before_xmins.keys()
    changed = {k[1] for k in after_xmins if after_xmins[k] != before_xmins[k]}
    assert changed == {FEB}
    assert {k[0] for k in after_xmins if k[1] == FEB} == set(HISTORY)


def test_a_full_refresh_gives_the_same_rows(province: Province) -> None:
    before = _history(province.url)
    dbt_build(province.url, APR, full_refresh=True)
    assert _history(province.url) == before
    assert len({r[0] for r in before["int_household_month"]}) == len(P.BUILD_MONTHS)


def test_a_month_without_a_registry_in_reach_is_not_built(province: Province) -> None:
    before = _history(province.url)
    with pytest.raises(DbtFailed, match=r"Month 2021-07 is not built: no registry snapshot"):
        dbt_build(province.url, date(2021, 7, 1))  # registry last delivered 2021-04
    assert _history(province.url) == before


def test_a_warehouse_built_before_the_target_history_gets_every_month(
    province: Province,
) -> None:
    """int_feed_target_month is a history model of its own: a warehouse that has the other
    history but not it (built before it existed) computes it for every month at the next build,
    and the other history models keep their rows."""
    before = {k: x for k, x in _xmins(province.url).items()
              if k[0] != "int_feed_target_month" and k[1] < APR}
    with psycopg.connect(province.url) as conn:
        conn.execute("drop table intermediate.int_feed_target_month")
    dbt_build(province.url, APR)
    oracle = {(r["month"], r["feed"]): r for r in rules.feed_coverage(P.FEEDS, P.BUILD_MONTHS)}
    built = {(r["month"], r["feed"]): r
             for r in province.query("select * from intermediate.int_feed_target_month")}
    assert built.keys() == oracle.keys()
    assert all(
        (r["target_population"], r["target_registered"], r["target_covered"])
        == (oracle[k]["target_population"], oracle[k]["target_registered"],
            oracle[k]["target_covered"])
        for k, r in built.items()
    )
    after = {k: x for k, x in _xmins(province.url).items()
             if k[0] != "int_feed_target_month" and k[1] < APR}
    assert after == before


# --- policy as data ------------------------------------------------------------------------


def test_changing_a_seed_changes_the_facts_without_touching_sql(
    warehouse_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(
        dbt_project_dir(), project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    seeds = project / "seeds"
    (seeds / "monitoring_thresholds.csv").write_text("year,yuan\n2021,7000\n", encoding="utf-8")
    (seeds / "dibao_standards.csv").write_text("year,yuan\n2020,5319\n", encoding="utf-8")
    parameters = (seeds / "policy_parameters.csv").read_text(encoding="utf-8")
    for name, value in (("feed_max_age_months", 3), ("compulsory_age_max", 17),
                        ("working_age_max", 65)):
        parameters = re.sub(rf"^{name},\d+,", f"{name},{value},", parameters, flags=re.M)
    (seeds / "policy_parameters.csv").write_text(parameters, encoding="utf-8")
    monkeypatch.setenv("FANGPIN_HOME", str(tmp_path))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    with psycopg.connect(warehouse_db) as conn:
        P.insert_raw(conn, P.FEEDS)
    dbt_build(warehouse_db, APR)
    built = Province(warehouse_db)

    row = built.household(APR, "N-INCOME-6500")  # threshold 7000 instead of 6000
    assert row["sig_income_low"] and row["monitoring_threshold_yuan"] == 7000
    # feed_max_age_months 3: January's medical snapshot still counts in April
    row = built.household(APR, "N-MED-NOROW")
    assert row["medical_present"] and row["sig_med_uninsured"] and not row["sig_med_unverified"]
    # no 2021 dibao standard: 2021 uses 2020's 5319, and 5657.99 is above it
    row = built.household(APR, "N-GAP")
    assert row["dibao_standard_yuan"] == 5319 and row["social_assistance_present"]
    assert not row["sig_safety_net_gap"]
    policy = rules.Policy(
        monitoring_thresholds={2021: Decimal(7000)},
        dibao_standards={2020: Decimal(5319)},
        feed_max_age_months=3,
        compulsory_ages=(6, 17),
        working_ages=(16, 65),
    )
    oracle = {r["household_id"]: r for r in rules.household_months(P.FEEDS, [APR], policy)}
    for r in built.query("select * from marts_build.fct_household_month"):
        assert {f: r[f] for f in rules.FLAGS} == {
            f: oracle[r["household_id"]][f] for f in rules.FLAGS
        }, r["household_id"]
    # The target populations follow the ages of the seed (6-17: 8 people, not 5).
    coverage = {r["feed"]: r for r in rules.feed_coverage(P.FEEDS, [APR], policy)}
    assert coverage["education"]["target_registered"] == 8
    for r in built.query("select * from intermediate.int_feed_target_month"):
        assert (r["target_registered"], r["target_covered"]) == (
            coverage[r["feed"]]["target_registered"], coverage[r["feed"]]["target_covered"])
    # ... and dim_policy shows what was read: 2021 takes 2020's dibao standard, the one set.
    shown = {(r["year"], r["parameter"]): r
             for r in built.query("select * from marts_build.dim_policy")}
    assert shown[(2021, "monitoring_threshold")]["value"] == 7000
    assert (shown[(2021, "dibao_standard")]["value"],
            shown[(2021, "dibao_standard")]["set_for_year"]) == (5319, 2020)
    assert shown[(2021, "compulsory_age_max")]["value"] == 17
    assert shown[(2021, "working_age_max")]["value"] == 65
    assert shown[(2021, "feed_max_age_months")]["value"] == 3
    assert shown[(2021, "due_day")]["is_marts_year"]
    assert not shown[(2020, "dibao_standard")]["is_marts_year"]  # set, but no month of 2020
