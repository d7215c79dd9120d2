"""A month publishes what is sound: rejected files and key counties never seen, through Airflow.

One ``fangpin run --strict`` over a small generated province (300 households: it covers only
some of Shanxi's counties, so most of the shipped 46 key counties have no household) whose
files were spoilt the way departments spoil them (FEEDS.md "File format"):

- 2021-01 housing: its one file lacks ``safety_grade``; there is no earlier housing delivery,
  so housing is absent for January and its checks are UNVERIFIED;
- 2021-02 education: one of the eleven per-city files lacks ``status``; none of February's
  education files is taken and January's delivery stays in force;
- 2021-03 registry_households: its file lacks ``monitoring_status``; February's registry
  snapshot stays in force (within feed_max_age_months).

Every month is still published, with the shipped key-county list; each rejection is reported
in ops.load_history, mart_feed_reporting, the run's summary lines, ``fangpin status`` and the
Airflow DAG run's note; ``--strict`` exits 4.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest

from fangpin.orchestration.airflow_env import metadata_url
from fangpin.warehouse.connection import drop_database, ensure_database, with_database

pytestmark = pytest.mark.slow
JAN, FEB, MAR = date(2021, 1, 1), date(2021, 2, 1), date(2021, 3, 1)
MONTHS = [JAN, FEB, MAR]
SPOILT = {
    # (month, feed): (file name, required column taken out)
    (JAN, "housing"): ("housing_2021-01.csv", "safety_grade"),
    (FEB, "education"): ("education_2021-02_1405.csv", "status"),
    (MAR, "registry_households"): ("registry_households_2021-03.csv", "monitoring_status"),
}


def drop_column(path: Path, column: str) -> None:
    """Rewrite a CSV without one column, keeping everything else as the department wrote it."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    index = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(r[:index] + r[index + 1:] for r in rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def fangpin(*args: str, url: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WAREHOUSE_URL": url, "AIRFLOW_HOME": str(home),
           "FANGPIN_TASK_RETRIES": "0", "FANGPIN_LOG_DIR": str(home / "run-logs")}
    exe = Path(sys.executable).with_name("fangpin")
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True,
                          timeout=1800)


def query(url: str, statement: str, *params: object) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchall()


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fangpin.synth import write_province

    out = tmp_path_factory.mktemp("landing")
    write_province(out, households=300, months=MONTHS, seed=7)
    for (month, feed), (name, column) in SPOILT.items():
        drop_column(out / f"{month:%Y-%m}" / feed / name, column)
    return out


@pytest.fixture(scope="module")
def run(landing: Path, server_url: str, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[tuple[str, Path, subprocess.CompletedProcess[str]]]:
    url = with_database(server_url, f"fangpin_rej_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    home = tmp_path_factory.mktemp("airflow-home")
    proc = fangpin("run", "--landing", str(landing), "--strict", url=url, home=home)
    yield url, home, proc
    drop_database(url)
    drop_database(metadata_url(url))


def test_every_month_is_published_and_strict_exits_4(run) -> None:
    url, _home, proc = run
    assert proc.returncode == 4, proc.stdout[-3000:] + proc.stderr[-6000:]
    for month in MONTHS:
        assert f"{month:%Y-%m}: published" in proc.stdout
    assert "3 file(s) rejected" in proc.stderr
    published = query(url, "select distinct month from marts.fct_household_month order by 1")
    assert [r[0] for r in published] == MONTHS


def test_the_run_prints_one_line_per_rejected_file_naming_what_stays_in_force(run) -> None:
    _url, _home, proc = run
    # the summary lines, indented under their month (the Airflow task logs say it too)
    lines = [line.strip() for line in proc.stdout.splitlines()
             if line.startswith("  2021-") and "REJECTED" in line]
    assert len(lines) == 3, proc.stdout
    housing, education, registry = lines
    assert housing.startswith("2021-01 housing: REJECTED housing_2021-01.csv:")
    assert "safety_grade" in housing
    assert housing.endswith(
        "in force: none within feed_max_age_months = 2: housing is absent for 2021-01, "
        "its checks are UNVERIFIED"
    )
    assert education.startswith("2021-02 education: REJECTED education_2021-02_1405.csv:")
    assert "status" in education
    assert education.endswith("in force: the 2021-01 delivery stays in force")
    assert registry.startswith(
        "2021-03 registry_households: REJECTED registry_households_2021-03.csv:"
    )
    assert registry.endswith("in force: the 2021-02 delivery stays in force")
    # each line follows its own month's outcome
    out = proc.stdout
    assert (out.index("2021-01: published") < out.index(f"  {housing}")
            < out.index("2021-02: published") < out.index(f"  {education}")
            < out.index("2021-03: published") < out.index(f"  {registry}"))


def test_load_history_keeps_each_rejection_and_takes_nothing_of_the_feed_month(run) -> None:
    url, _home, _proc = run
    rejected = query(
        url,
        "select month, feed, file_name from ops.load_history where status = 'rejected' "
        "order by month",
    )
    assert rejected == [(m, f, name) for (m, f), (name, _c) in sorted(SPOILT.items())]
    # none of February's eleven education files is in raw, nor anything of January's housing
    assert query(url, "select count(*) from raw.education where _snapshot_month = %s", FEB) == [
        (0,)
    ]
    assert query(url, "select count(*) from raw.housing where _snapshot_month = %s", JAN) == [(0,)]


def test_feed_reporting_counts_the_rejected_files_and_names_the_snapshot_in_force(run) -> None:
    url, _home, _proc = run
    rows = {
        (m, f): (arrived, files_rejected, in_force, rejection is not None)
        for m, f, arrived, files_rejected, in_force, rejection in query(
            url,
            "select month, feed, arrived, files_rejected, snapshot_month_in_force, "
            "last_rejection from marts.mart_feed_reporting",
        )
    }
    assert rows[(JAN, "housing")] == (False, 1, None, True)
    assert rows[(FEB, "education")] == (False, 1, JAN, True)
    assert rows[(MAR, "registry_households")] == (False, 1, FEB, True)
    assert rows[(FEB, "housing")] == (True, 0, FEB, False)
    assert rows[(MAR, "education")] == (True, 0, MAR, False)


def test_the_months_are_built_from_the_deliveries_in_force(run) -> None:
    url, _home, _proc = run
    january = query(
        url,
        "select bool_and(not housing_present), bool_and(sig_house_unverified), "
        "bool_and(education_present) from marts.fct_household_month where month = %s",
        JAN,
    )
    assert january == [(True, True, True)]
    february = query(
        url,
        "select bool_and(education_present), bool_and(housing_present), "
        "bool_and(sig_house_unverified) from marts.fct_household_month where month = %s",
        FEB,
    )
    # February: education from January's delivery (none of February's is in raw), housing its own
    assert february == [(True, True, False)]
    # March is built from February's households (the registry in force)
    households = {
        m: n for m, n in query(
            url, "select month, count(*) from marts.fct_household_month group by month"
        )
    }
    assert households[MAR] == households[FEB]


def test_status_lists_the_rejections_that_still_stand(run) -> None:
    url, home, _proc = run
    proc = fangpin("status", url=url, home=home)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "rejected files" in proc.stdout
    lines = [line.strip() for line in proc.stdout.splitlines()
             if line.startswith("  2021-") and "REJECTED" in line]
    assert [line.split(":")[0] for line in lines] == [
        "2021-01 housing", "2021-02 education", "2021-03 registry_households"
    ]


def test_the_airflow_run_notes_the_rejection_and_its_load_task_succeeded(run) -> None:
    url, _home, _proc = run
    airflow = metadata_url(url)
    notes = query(
        airflow,
        "select r.run_id, n.content from dag_run r join dag_run_note n on n.dag_run_id = r.id "
        "where r.dag_id = 'fangpin_monthly'",
    )
    content = "\n".join(c for _r, c in notes)
    assert "2021-02 education: REJECTED education_2021-02_1405.csv" in content
    assert "2021-01 housing: REJECTED housing_2021-01.csv" in content
    states = query(
        airflow,
        "select distinct state from task_instance where dag_id = 'fangpin_monthly' "
        "and task_id = 'load'",
    )
    assert states == [("success",)]


def test_the_shipped_key_counties_publish_a_province_covering_only_some_counties(run) -> None:
    url, _home, _proc = run
    key = query(url, "select count(*) from marts.dim_county where is_key_county")[0][0]
    assert key == 46
    for month in MONTHS:
        scored, unscored = query(
            url,
            "select count(*) filter (where scored), count(*) filter (where not scored) "
            "from marts.mart_county_scorecard where month = %s and is_key_county",
            month,
        )[0]
        assert scored + unscored == key
        assert scored > 0 and unscored > 0  # 300 households do not reach every county
        assert query(
            url,
            "select count(*) from marts.mart_county_scorecard where month = %s and "
            "is_key_county and not scored and (households <> 0 or score is not null "
            "or key_rank is not null or not_scored_reason is null)",
            month,
        ) == [(0,)]
    warned = query(
        url,
        "select count(distinct month) from ops.audit_result where check_name = "
        "'key_counties_without_households' and not passed and severity = 'warning'",
    )
    assert warned == [(3,)]


# --- what the run prints (issue 15: a run you can follow) ----------------------------------

STAGES = ["prepare", "load", "transform", "audit", "publish"]
_SECONDS = r"(\d+\.\d s|\d+ min \d\d s)"


def _month_lines(out: str, month: date) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(f"{month:%Y-%m} ")]


def _text(line: str) -> str:
    """A stage line without its month, stage and seconds: what the task said it did."""
    return re.split(_SECONDS, line, maxsplit=1)[-1].strip()


def test_the_run_prints_one_line_per_stage_with_real_figures(run) -> None:
    url, _home, proc = run
    for month in MONTHS:
        lines = _month_lines(proc.stdout, month)
        assert [line.split()[1] for line in lines] == STAGES, proc.stdout
        for line in lines:
            assert re.match(rf"^{month:%Y-%m} \w+ +{_SECONDS}  \S", line), line
        prepare, load, transform, audit, publish = lines
        assert re.search(r"  \d of 8 feeds arrived", prepare), prepare
        # the rows the load line gives are the load history's, file by file
        loaded, quarantined = query(
            url, "select coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0) "
            "from ops.load_history where month = %s and status = 'loaded'", month)[0]
        assert f"{loaded:,} rows loaded, {quarantined:,} quarantined, 1 file rejected" in load
        feed = next(f for (m, f) in SPOILT if m == month)
        assert f"{feed} REJECTED {SPOILT[(month, feed)][0]}" in load
        assert re.search(r"dbt build: \d+ seeds, \d+ models built, \d+ tests passed",
                         transform), transform
        # the audit line names its warning; its counts are the recorded checks
        checks, warned, failed = query(
            url, "select count(*), count(*) filter (where not passed and severity = 'warning'), "
            "count(*) filter (where not passed and severity = 'blocking') from ops.audit_result "
            "where month = %s", month)[0]
        assert warned >= 1 and failed == 0
        assert f"{checks:,} checks: {checks - warned:,} passed, {warned} warned (" in audit
        assert "key_counties_without_households" in audit
        assert audit.endswith(", 0 failed")
        assert publish.endswith("  published")
        assert re.search(rf"^{month:%Y-%m}: published with 1 file\(s\) rejected in {_SECONDS} "
                         rf"\(tasks {_SECONDS}, Airflow {_SECONDS}; run ", proc.stdout, re.M)


def test_each_month_ends_with_the_time_left_and_the_run_with_its_total(run) -> None:
    _url, _home, proc = run
    lines = proc.stdout.splitlines()
    eta = [i for i, line in enumerate(lines) if " left: about " in line]
    assert [lines[i].split(" left")[0] for i in eta] == ["2 months", "1 month"]
    for i in eta:
        assert re.search(rf"left: about {_SECONDS} \({_SECONDS} a month so far\)$", lines[i])
    assert re.match(rf"^3 months published in {_SECONDS} \(Airflow start-up {_SECONDS}\)$",
                    lines[-1]), lines[-1]
    # the terminal is for people: about a dozen lines a month, no traceback, no warning
    assert len(lines) <= 20 * len(MONTHS), proc.stdout
    for month in MONTHS:
        assert len([line for line in lines if f"{month:%Y-%m}" in line]) <= 20
    terminal = proc.stdout + proc.stderr
    assert "Traceback" not in terminal
    assert "Warning" not in terminal and "[warning" not in terminal
    assert "great_expectations" not in terminal and "Returned value" not in terminal


def test_the_log_file_named_at_the_start_has_the_libraries_and_the_tasks_lines(run) -> None:
    _url, home, proc = run
    found = re.search(r"^log file: (\S+)", proc.stdout, re.M)
    assert found, proc.stdout
    path = Path(found.group(1))
    assert path.parent == home / "run-logs" and path.exists()
    text = path.read_text(encoding="utf-8")
    # the noise the terminal is spared: Great Expectations, Airflow's task runner, dbt
    assert "great_expectations" in text
    assert "[DAG TEST] starting task_id=transform" in text
    assert re.search(r"dbt build\b[^\n]*\(exit 0\)", text)  # dbt's output, whatever its flags
    # each task logged its own stage line (dag.test: the task log is this file), the same
    # figures the terminal shows
    task_lines = [line for line in text.splitlines() if "[fangpin.stage]" in line]
    for month in MONTHS:
        for line in _month_lines(proc.stdout, month):
            stage = line.split()[1]
            if stage == "load":
                continue  # each load task logs its own feed
            assert any(_text(line) in t and f"{month:%Y-%m} {stage}" in t for t in task_lines)
    assert any("education REJECTED education_2021-02_1405.csv" in t for t in task_lines)
    # the libraries' lines of a task sit in a log group (collapsed in Airflow's UI), its stage
    # line right after it: the first line the task log shows open
    lines = text.splitlines()
    ends = [i for i, line in enumerate(lines) if "::endgroup::" in line and "fangpin.stage" in line]
    assert len(ends) >= len(MONTHS) * 5
    assert all("[fangpin.stage]" in lines[i + 1] for i in ends)
