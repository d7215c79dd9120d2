"""The stage lines of ``fangpin run`` and the tasks' logs, from the tasks' own results."""

from __future__ import annotations

from datetime import date

from fangpin.pipeline.progress import (
    TaskRecord,
    audit_text,
    duration,
    eta_line,
    load_text,
    month_lines,
    task_line,
    transform_text,
)

JAN = date(2021, 1, 1)


def _feed(feed: str, loaded: int, quarantined: int = 0, status: str = "loaded") -> dict:
    return {"feed": feed, "status": status,
            "files": [{"rows_loaded": loaded, "rows_quarantined": quarantined}]}


def test_durations_read_as_people_say_them() -> None:
    assert duration(4.24) == "4.2 s"
    assert duration(185) == "3 min 05 s"
    assert duration(3720) == "1 h 02 min"


def test_the_load_line_gives_every_feeds_rows_and_names_the_rejected_file() -> None:
    rejected = {"feed": "housing", "status": "rejected", "file": "housing_2021-01.csv"}
    text = load_text([_feed("registry_members", 765, 1), rejected, _feed("education", 139),
                      {"feed": "water", "status": "skipped"}])
    assert text == (
        "904 rows loaded, 1 quarantined, 1 file rejected (below); loaded/quarantined: "
        "education 139/0, housing REJECTED housing_2021-01.csv, registry_members 765/1, "
        "water unchanged"
    )


def test_the_audit_line_names_each_warning_and_says_a_refusal() -> None:
    warned = ["marts.mart_county_scorecard/key_counties_without_households"]
    assert audit_text({"passed": True, "checks": 245, "warnings": warned, "failed": []}) == (
        "245 checks: 244 passed, 1 warned "
        "(marts.mart_county_scorecard/key_counties_without_households), 0 failed"
    )
    refused = audit_text({"passed": False, "checks": 10, "warnings": [],
                          "failed": ["raw.water/not_null_village"]})
    assert refused == ("10 checks: 9 passed, 0 warned, 1 failed (raw.water/not_null_village): "
                       "publish REFUSED")


def test_the_transform_line_counts_what_dbt_built_and_names_tests_that_warned() -> None:
    text = transform_text({"seeds": 8, "models": 40, "tests_passed": 172,
                           "tests_warned": ["accepted_values_x"], "tests_failed": []})
    assert text == ("dbt build: 8 seeds, 40 models built, 172 tests passed, "
                    "1 warned (accepted_values_x)")


def test_a_month_prints_its_stages_in_order_and_a_failed_one_says_so() -> None:
    tasks = [
        TaskRecord("wait_for_registry", -1, "success", 1.0, True),
        TaskRecord("prepare", -1, "success", 0.5, ["education", "registry_members"]),
        TaskRecord("load", 0, "success", 0.4, _feed("education", 139)),
        TaskRecord("load", 1, "success", 0.6, _feed("registry_members", 765, 1)),
        TaskRecord("transform", -1, "success", 43.5, {"seeds": 8, "models": 40,
                                                     "tests_passed": 173}),
        TaskRecord("audit", -1, "failed", 18.0, None),
        TaskRecord("publish", -1, "upstream_failed", 0.0, None),
    ]
    lines = month_lines(JAN, tasks, {"audit": "3 checks: 2 passed, 0 warned, 1 failed"})
    assert [line.split()[1] for line in lines] == ["prepare", "load", "transform", "audit"]
    assert lines[1] == ("2021-01 load           1.0 s  904 rows loaded, 1 quarantined; "
                        "loaded/quarantined: education 139/0, registry_members 765/1")
    assert lines[3].endswith("18.0 s  3 checks: 2 passed, 0 warned, 1 failed")


def test_the_prepare_line_names_the_feeds_that_did_not_arrive() -> None:
    line = task_line(JAN, "prepare", ["education", "registry_households", "registry_members"],
                     0.5)
    assert line == ("2021-01 prepare        0.5 s  3 of 8 feeds arrived; not delivered: "
                    "medical, housing, water, employment, social_assistance")


def test_a_load_task_logs_its_own_feed() -> None:
    line = task_line(JAN, "load", _feed("medical", 800, 1), 0.12)
    assert line == "2021-01 load           0.1 s  medical: 800 rows loaded, 1 quarantined"


def test_the_time_left_is_the_months_left_times_the_mean_month() -> None:
    assert eta_line([80.0, 100.0], 2) == (
        "2 months left: about 3 min 00 s (1 min 30 s a month so far)"
    )
    assert eta_line([80.0], 0) == ""
