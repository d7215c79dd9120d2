"""The audit gate: every kind of defect refuses the publish, warnings do not.

Each test builds the hand-made province of ``audit_province`` in a fresh database, plants one
defect and audits March 2021 with the project's suites (a per-module copy of expectations/,
so one GX context serves the module and the checkout's uncommitted/ is left alone).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import psycopg
import pytest
from audit_province import (
    FEB,
    HEAD_ID,
    MAR,
    build_marts,
    build_province,
    committed_files,
    copy_gx_project,
    pass_audit,
    snapshot,
)

from fangpin.audit import AuditOutcome, run_audit
from fangpin.feeds.normalise import id_check_char
from fangpin.publish import PublishRefused, publish

# Great Expectations runs the suites: seconds per test (make test-fast skips it).
pytestmark = pytest.mark.slow

#: HEAD_ID's check character is wrong on purpose; this one is a valid id number.
VALID_ID = HEAD_ID[:-1] + id_check_char(HEAD_ID[:-1])


@pytest.fixture(scope="module")
def gx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_gx_project(tmp_path_factory.mktemp("gx") / "expectations")


@pytest.fixture
def province(warehouse_db: str) -> str:
    build_province(warehouse_db)
    return warehouse_db


def audit(url: str, gx_dir: Path, run_id: str = "run-1", **kwargs) -> AuditOutcome:
    return run_audit(url, MAR, run_id, gx_dir=gx_dir, docs=False, **kwargs)


def execute(url: str, statement: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(statement)


def audit_rows(url: str, run_id: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select suite || '/' || check_name, severity, passed, observed_value, sample_rows "
            "from ops.audit_result where run_id = %s order by audit_id",
            (run_id,),
        ).fetchall()


def test_a_clean_build_passes_every_check_and_records_each_one(province: str, gx_dir: Path):
    outcome = audit(province, gx_dir)

    assert outcome.passed, outcome
    assert outcome.blocking_failures == [] and outcome.warnings == []
    rows = audit_rows(province, "run-1")
    assert len(rows) == len(outcome.results) > 100
    assert all(passed for _label, _severity, passed, _observed, _sample in rows)
    assert {severity for _label, severity, *_ in rows} == {"blocking", "warning"}
    labels = [label for label, *_ in rows]
    assert len(labels) == len(set(labels))
    layers = {label.split(".")[0] for label in labels}
    assert layers == {"raw", "staging", "marts"}
    assert "marts.fct_household_month/household_month_unique" in labels
    # The suites are reviewable files, severity in each expectation's meta; the connection
    # string is a config variable, never a literal.
    suite = json.loads((gx_dir / "expectations" / "marts" / "fct_household_month.json")
                       .read_text(encoding="utf-8"))
    severities = {e["meta"]["check"]: e["meta"]["severity"] for e in suite["expectations"]}
    assert severities["household_month_unique"] == "blocking"
    assert severities["member_count_positive"] == "warning"
    config = (gx_dir / "great_expectations.yml").read_text(encoding="utf-8")
    assert "connection_string: ${FANGPIN_AUDIT_URL}" in config
    assert "postgresql://" not in config and "postgresql+psycopg://" not in config
    assert "globally: false" in config


#: March's registry lost key county 140221: its households are gone from the facts, and the
#: scorecard reports it with households 0 and no score (as the dbt model does).
VANISH_140221 = (
    "delete from marts_build.fct_household_month "
    "where county_code = '140221' and month = '2021-03-01'; "
    "delete from marts_build.mart_field_sample "
    "where county_code = '140221' and month = '2021-03-01'; "
    "update marts_build.mart_county_scorecard set households = 0, persons = 0, "
    "out_of_poverty_households = 0, at_risk_households = 0, eliminated_households = 0, "
    "missed_identifications = 0, identification_rate = null, score = null, key_rank = null, "
    "scored = false, not_scored_reason = 'no registered households in the month' "
    "where county_code = '140221' and month = '2021-03-01'"
)

DEFECTS = {
    "duplicate household-month": (
        "insert into marts_build.fct_household_month select * "
        "from marts_build.fct_household_month "
        "where household_id = 'H1401051' and month = '2021-03-01'",
        "marts.fct_household_month/household_month_unique",
    ),
    "rate out of range": (
        "update marts_build.mart_county_scorecard set education_rate = 1.2 "
        "where county_code = '140105' and month = '2021-03-01'",
        "marts.mart_county_scorecard/education_rate_in_0_1",
    ),
    "unknown county": (
        "insert into raw.registry_households (_load_id, _snapshot_month, _source_file, "
        "_source_line, household_id, county_code, village_code, head_id_number, household_type, "
        "monitoring_type, monitoring_status, per_capita_net_income) values (3, '2021-03-01', "
        f"'registry_households.csv', 99, 'H9', '149999', '149999001001', '{HEAD_ID}', "
        "'ordinary', 'none', 'not_monitored', 9000)",
        "staging.registry_households/county_code_known",
    ),
    "raw load far smaller than last month": (
        "update ops.load_history set rows_read = 3, rows_loaded = 3 "
        "where feed = 'registry_members' and month = '2021-03-01'",
        "raw.load_history/load_volume_within_band",
    ),
    "flag inconsistency": (
        "update marts_build.fct_household_month set missed_identification = true "
        "where household_id = 'H1402222' and month = '2021-03-01'",
        "marts.fct_household_month/missed_identification_rule",
    ),
    "key county left out of the scorecard": (
        "delete from marts_build.mart_county_scorecard "
        "where county_code = '140221' and month = '2021-03-01'",
        "marts.mart_county_scorecard/key_counties_reported",
    ),
    "key county with households but no score": (
        "update marts_build.mart_county_scorecard set score = null, key_rank = null "
        "where county_code = '140221' and month = '2021-03-01'",
        "marts.mart_county_scorecard/key_counties_scored_when_registered",
    ),
    "key county that vanished since the last publish": (
        VANISH_140221,
        "marts.mart_county_scorecard/key_counties_not_vanished",
    ),
    "county evaluated by its own city": (
        "update marts_build.mart_evaluation_assignment set evaluating_city_code = '1401' "
        "where county_code = '140106'",
        "marts.mart_evaluation_assignment/never_own_city",
    ),
    "scorecard households not the month's facts": (
        "update marts_build.mart_county_scorecard set households = households + 1 "
        "where county_code = '140105' and month = '2021-03-01'",
        "marts.mart_county_scorecard/households_match_fct_household_month",
    ),
    "a sampled household of another county": (
        "update marts_build.mart_field_sample set county_code = '140221' "
        "where household_id = (select min(household_id) from marts_build.mart_field_sample "
        "where county_code <> '140221' and month = '2021-03-01') and month = '2021-03-01'",
        "marts.mart_field_sample/sampled_household_in_county",
    ),
    "score weights that do not sum to 1": (
        "update marts_build.dim_policy set value = 0.5 "
        "where parameter = 'score_weight_education'",
        "marts.dim_policy/score_weights_sum_to_one",
    ),
    "no policy for a year the marts hold": (
        "update marts_build.dim_policy set year = 2020",
        "marts.dim_policy/every_marts_year",
    ),
    "a feed covering more of its target than there is": (
        "update marts_build.mart_feed_reporting set target_covered = 11 "
        "where feed = 'education' and month = '2021-03-01'",
        "marts.mart_feed_reporting/target_covered_within_target",
    ),
    "a required mart missing": (
        "drop table marts_build.fct_problem",
        "marts.fct_problem/table_present",
    ),
    "an id number in a text column": (
        "update marts_build.fct_household_month set household_id = "
        f"'{VALID_ID}' where household_id = 'H1402222' and month = '2021-03-01'",
        "marts.id_number_scan/fct_household_month.household_id: 1 id numbers",
    ),
    "an id number inside a note of another mart": (
        "alter table marts_build.mart_feed_reporting add column note text; "
        "update marts_build.mart_feed_reporting set note = "
        f"'户主 {VALID_ID} 已核实'",
        "marts.id_number_scan/mart_feed_reporting.note",
    ),
}


@pytest.mark.parametrize("defect", DEFECTS)
def test_a_planted_defect_refuses_the_publish_and_leaves_marts_unchanged(
    province: str, gx_dir: Path, caplog: pytest.LogCaptureFixture, defect: str
):
    statement, failing = DEFECTS[defect]
    pass_audit(province, "baseline", MAR)
    publish(province, MAR, "baseline")
    with psycopg.connect(province) as conn:
        build_marts(conn, tag="v2")
    published = snapshot(province)
    execute(province, statement)

    with caplog.at_level(logging.WARNING, logger="fangpin.audit"):
        outcome = audit(province, gx_dir, run_id="defective")

    assert not outcome.passed
    if failing.endswith(".note"):  # the count depends on the mart's size: name it
        failing = next(f for f in outcome.blocking_failures if f.startswith(failing))
        assert failing.endswith(" id numbers")
    assert failing in outcome.blocking_failures
    recorded = {label: (severity, passed) for label, severity, passed, *_ in
                audit_rows(province, "defective")}
    assert recorded[failing] == ("blocking", False)
    assert failing in caplog.text
    with pytest.raises(PublishRefused, match=failing):
        publish(province, MAR, "defective")
    assert snapshot(province) == published
    with psycopg.connect(province) as conn:
        assert conn.execute(
            "select status from ops.publish_log where run_id = 'defective'"
        ).fetchall() == [("refused",)]
        assert conn.execute("select to_regnamespace('marts_build') is not null").fetchone()[0]


def test_failing_rows_are_sampled_where_they_came_from_without_id_numbers(
    province: str, gx_dir: Path, caplog: pytest.LogCaptureFixture
):
    bad_id = HEAD_ID[:-1] + "Y"  # not an id number, yet most of someone's
    execute(province, DEFECTS["unknown county"][0])
    execute(
        province,
        "insert into raw.registry_members (_load_id, _snapshot_month, _source_file, "
        "_source_line, household_id, id_number, name, relation, labour_capacity, health) "
        f"values (4, '2021-03-01', 'members.csv', 7, 'H9', '{bad_id}', '李四', 'head', "
        "'ordinary', 'healthy')",
    )

    with caplog.at_level(logging.WARNING, logger="fangpin.audit"):
        outcome = audit(province, gx_dir)

    by_label = {r.label: r for r in outcome.results}
    county = by_label["staging.registry_households/county_code_known"]
    assert county.observed_value == "1 unexpected rows"
    # A whole failing row is cut down to what locates and explains it.
    assert county.sample_rows == [{
        "snapshot_month": "2021-03-01", "county_code": "149999",
        "source_file": "registry_households.csv", "source_line": 99,
    }]
    id_format = by_label["staging.registry_members/id_number_format"]
    assert id_format.observed_value == "1 of 9 rows unexpected"
    assert id_format.sample_rows == [{
        "source_file": "members.csv", "source_line": 7, "id_number": "140105********123Y",
    }]
    stored = {label: sample for label, _s, _p, _o, sample in audit_rows(province, "run-1")}
    assert stored[id_format.label] == id_format.sample_rows
    assert bad_id not in caplog.text and HEAD_ID not in caplog.text
    assert "李四" not in json.dumps([r.sample_rows for r in outcome.results], ensure_ascii=False)


def test_a_month_is_audited_on_its_own_rows_and_the_copies_are_dropped(
    province: str, gx_dir: Path
):
    """February's defects are February's audit's business; March's copies do not outlive it."""
    execute(province, DEFECTS["unknown county"][0].replace("'2021-03-01'", "'2021-02-01'"))
    execute(
        province,
        "update marts_build.fct_household_month set missed_identification = true "
        "where month = '2021-02-01'",
    )

    march = audit(province, gx_dir, run_id="march")
    february = run_audit(province, FEB, "february", gx_dir=gx_dir, docs=False)

    assert march.passed, march.blocking_failures
    assert {
        "staging.registry_households/county_code_known",
        "marts.fct_household_month/missed_identification_rule",
    } <= set(february.blocking_failures)
    with psycopg.connect(province) as conn:
        assert conn.execute("select to_regnamespace('audit_batch')").fetchone()[0] is None


def test_a_warning_level_failure_publishes_and_is_recorded(province: str, gx_dir: Path):
    execute(
        province,
        "update marts_build.fct_household_month set member_count = 0 "
        "where household_id = 'H1401051' and month = '2021-03-01'",
    )

    outcome = audit(province, gx_dir)
    published = publish(province, MAR, "run-1")

    assert outcome.passed
    assert outcome.warnings == ["marts.fct_household_month/member_count_positive"]
    assert published.status == "published"
    recorded = [r for r in audit_rows(province, "run-1") if not r[2]]
    assert [(label, severity) for label, severity, *_ in recorded] == [
        ("marts.fct_household_month/member_count_positive", "warning")
    ]
    assert recorded[0][4] == [{"month": "2021-03-01", "household_id": "H1401051",
                               "member_count": 0}]


def test_a_mart_not_built_yet_is_a_warning_not_a_refusal(province: str, gx_dir: Path):
    execute(province, "drop table marts_build.mart_field_sample")

    outcome = audit(province, gx_dir)

    assert outcome.passed
    assert outcome.warnings == ["marts.mart_field_sample/table_present"]


def test_a_month_missing_from_the_build_is_refused(province: str, gx_dir: Path):
    outcome = run_audit(province, MAR.replace(month=4), "april", gx_dir=gx_dir, docs=False)

    assert not outcome.passed
    assert "marts.fct_household_month/rows_for_month" in outcome.blocking_failures
    assert "marts.mart_county_scorecard/rows_for_month" in outcome.blocking_failures
    # Feeds not delivered in April are nothing to check, not a failure.
    assert not any(label.startswith(("raw.", "staging.")) for label in outcome.blocking_failures)


def test_data_docs_show_the_latest_run_only(province: str, gx_dir: Path):
    run_audit(province, MAR, "first", gx_dir=gx_dir)
    outcome = run_audit(province, MAR, "second", gx_dir=gx_dir)

    assert outcome.docs is not None and outcome.docs.exists()
    stored = list((gx_dir / "uncommitted" / "validations").rglob("*.json"))
    assert stored and all("second" in str(p) for p in stored)
    pages = list((gx_dir / "uncommitted" / "data_docs" / "local_site" / "validations")
                 .rglob("*.html"))
    assert pages and all("second" in str(p) for p in pages)


def test_the_id_number_scan_counts_valid_id_tokens_only(warehouse_db: str):
    """Pattern and MOD 11-2 check character; a token of its own (a hex pseudonym's digit run,
    a wrong check character, a masked id or a 19-digit number do not count)."""
    x_id = "11010519491231002X"  # a valid id whose check character is X
    cases = {
        VALID_ID: 1, x_id: 1, x_id.lower(): 1, f"户主{VALID_ID}，": 1,
        f"{VALID_ID} {x_id}": 2, VALID_ID[:-1] + "1": 0, HEAD_ID: 0,
        VALID_ID[:6] + "********" + VALID_ID[-4:]: 0, "1" + VALID_ID: 0,
        "ab" + VALID_ID + "cd": 0, "f" + VALID_ID: 0,
    }
    with psycopg.connect(warehouse_db) as conn:
        for value, expected in cases.items():
            found = conn.execute("select ops.id_numbers_in(%s)", (value,)).fetchone()[0]
            assert found == expected, value


def test_a_key_county_never_seen_is_reported_and_does_not_stop_the_publish(
    province: str, gx_dir: Path
):
    # Nothing published before: 140221 had no households in a published month, so it is a
    # county this province never registered, not one that vanished.
    execute(province, VANISH_140221)

    outcome = audit(province, gx_dir, run_id="unseen")

    assert outcome.passed, outcome.refusal_reason
    label = "marts.mart_county_scorecard/key_counties_without_households"
    assert label in outcome.warnings
    reported = next(r for r in outcome.results if r.label == label)
    assert [row["county_code"] for row in reported.sample_rows] == ["140221"]
    assert reported.sample_rows[0]["not_scored_reason"] == "no registered households in the month"
    publish(province, MAR, "unseen")


def test_a_vanished_key_county_refusal_names_the_county_and_the_registry_files(
    province: str, gx_dir: Path
):
    pass_audit(province, "baseline", MAR)
    publish(province, MAR, "baseline")  # February: 140221 has two registered households
    with psycopg.connect(province) as conn:
        build_marts(conn, tag="v2")
    execute(province, VANISH_140221)

    outcome = audit(province, gx_dir, run_id="vanished")

    assert not outcome.passed
    reason = outcome.refusal_reason
    assert "key_counties_not_vanished" in reason
    assert "county_code=140221" in reason and "households_then=2" in reason
    assert "last_published_month=2021-02-01" in reason
    assert "registry_households/" in reason and "registry_members/" in reason
    with pytest.raises(PublishRefused, match="county_code=140221"):
        publish(province, MAR, "vanished")


def test_every_blocking_failure_in_a_refusal_names_its_failing_rows(
    province: str, gx_dir: Path
):
    execute(province, DEFECTS["scorecard households not the month's facts"][0])

    outcome = audit(province, gx_dir, run_id="keys")

    assert "county_code=140105" in outcome.refusal_reason
    assert "month=2021-03-01" in outcome.refusal_reason


def test_an_audit_writes_no_committed_file_of_the_gx_project(
    province: str, tmp_path: Path
):
    """Suites, assets and settings are generated by ``make suites``; the audit only reads
    them, Data Docs included (they go to uncommitted/)."""
    project = copy_gx_project(tmp_path / "expectations")
    before = committed_files(project)

    outcome = run_audit(province, MAR, "read-only", gx_dir=project)

    assert outcome.passed, outcome
    assert outcome.docs is not None and outcome.docs.exists()
    assert committed_files(project) == before


def test_a_stale_or_missing_suite_is_refused_and_left_as_it_is(province: str, tmp_path: Path):
    project = copy_gx_project(tmp_path / "expectations")
    suites = project / "expectations" / "marts"
    edited = suites / "dim_county.json"
    stored = json.loads(edited.read_text(encoding="utf-8"))
    for expectation in stored["expectations"]:
        if expectation["meta"]["check"] == "city_code_prefix":
            expectation["meta"]["severity"] = "blocking"  # a hand edit the declaration lacks
    edited.write_text(json.dumps(stored, indent=2), encoding="utf-8")
    (suites / "mart_doubt_point.json").unlink()
    before = committed_files(project)

    outcome = run_audit(province, MAR, "stale", gx_dir=project, docs=False)

    assert not outcome.passed
    assert set(outcome.blocking_failures) == {
        "marts.dim_county/suite_current", "marts.mart_doubt_point/suite_current",
    }
    observed = {r.label: r.observed_value for r in outcome.results}
    assert "stated otherwise: city_code_prefix" in observed["marts.dim_county/suite_current"]
    assert "mart_doubt_point.json is missing" in observed["marts.mart_doubt_point/suite_current"]
    assert all("make suites" in observed[label] for label in outcome.blocking_failures)
    # The other suites ran as usual, and nothing was repaired in passing.
    assert "marts.fct_household_month/household_month_unique" in observed
    assert committed_files(project) == before
    with pytest.raises(PublishRefused, match="suite_current"):
        publish(province, MAR, "stale")
