"""End to end: a generated province through real Airflow DAG runs into published marts.

``fangpin run`` is started as a user would start it, in its own process, against a fresh
database on the test server; Airflow's metadata goes to a second fresh database beside it.
"""

from __future__ import annotations

import os
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
MONTHS = [date(2021, 1, 1), date(2021, 2, 1), date(2021, 3, 1)]


def fangpin(*args: str, url: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "WAREHOUSE_URL": url,
        "AIRFLOW_HOME": str(home),
        "FANGPIN_TASK_RETRIES": "0",
        # the run's log file (the tasks' logs under dag.test) inside the home the leak scan reads
        "FANGPIN_LOG_DIR": str(home / "run-logs"),
    }
    exe = Path(sys.executable).with_name("fangpin")
    return subprocess.run(
        [str(exe), *args], env=env, capture_output=True, text=True, timeout=1800
    )


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fangpin.synth import write_province

    out = tmp_path_factory.mktemp("landing")
    write_province(out, households=600, months=MONTHS, seed=11, messy=0.05)
    return out


@pytest.fixture(scope="module")
def run_db(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    url = with_database(server_url, f"fangpin_e2e_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    home = tmp_path_factory.mktemp("airflow-home")
    yield url, home
    drop_database(url)
    drop_database(metadata_url(url))


@pytest.fixture(scope="module")
def published(province: Path, run_db: tuple[str, Path]) -> str:
    url, home = run_db
    proc = fangpin("run", "--landing", str(province), url=url, home=home)
    # The terminal's lines, beside the run's log file (home/run-logs): both scanned below.
    (home / "fangpin-run.log").write_text(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    for month in MONTHS:
        assert f"{month:%Y-%m}: published" in proc.stdout
    return url


def query(url: str, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_every_month_is_published_with_one_row_per_household(published: str) -> None:
    rows = query(
        published,
        "select month, count(*), count(distinct household_id) "
        "from marts.fct_household_month group by month order by month",
    )
    assert [r[0] for r in rows] == MONTHS
    for _month, total, distinct in rows:
        assert total == distinct > 500


def test_the_scorecard_ranks_every_key_county_each_month(published: str) -> None:
    key = query(published, "select count(*) from marts.dim_county where is_key_county")[0][0]
    assert key > 0
    for month in MONTHS:
        ranked = query(
            published,
            "select count(*), min(key_rank), max(score) from marts.mart_county_scorecard "
            "where month = %s and key_rank is not null",
            month,
        )[0]
        assert ranked[0] == key
        assert ranked[1] == 1
        assert 0 < ranked[2] <= 100


def test_signals_are_found_and_flags_agree(published: str) -> None:
    counts = query(
        published,
        "select count(*) filter (where should_monitor), "
        "count(*) filter (where missed_identification), "
        "count(*) filter (where missed_identification and not should_monitor) "
        "from marts.fct_household_month",
    )[0]
    assert counts[0] > 0 and counts[1] > 0
    assert counts[2] == 0


def test_every_publish_is_logged_and_audited(published: str) -> None:
    logged = query(
        published,
        "select month, status from ops.publish_log where status = 'published' order by month",
    )
    assert [r[0] for r in logged] == MONTHS
    audited = query(published, "select count(distinct run_id), bool_and(passed or severity = "
                    "'warning') from ops.audit_result")[0]
    assert audited[0] >= len(MONTHS) and audited[1]


def test_no_plain_id_number_or_name_reaches_the_marts(published: str) -> None:
    """Nothing an evaluator can read in marts holds a plain id number or name."""
    ids = {r[0] for r in query(published, "select id_number from raw.registry_members")}
    names = {r[0] for r in query(published, "select name from raw.registry_members")}
    cols = query(
        published,
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts' and data_type in ('text', 'character varying') "
        "and has_table_privilege('evaluator', "
        "format('%%I.%%I', table_schema, table_name), 'select')",
    )
    for table, column in cols:
        sql = f'select distinct "{column}" from marts."{table}"'
        values = {r[0] for r in query(published, sql)}
        assert not values & ids, f"plain id number in marts.{table}.{column}"
        assert not values & names, f"plain name in marts.{table}.{column}"


def test_a_month_without_registry_stops_the_run_naming_month_and_stage(
    province: Path, run_db: tuple[str, Path], tmp_path: Path, published: str
) -> None:
    url, home = run_db
    broken = tmp_path / "landing"
    (broken / "2021-04" / "education").mkdir(parents=True)
    src = next((province / "2021-03" / "education").iterdir())
    (broken / "2021-04" / "education" / src.name).write_bytes(src.read_bytes())
    before = query(url, "select count(*), max(month) from marts.fct_household_month")
    proc = fangpin("run", "--landing", str(broken), url=url, home=home)
    assert proc.returncode == 1
    assert "2021-04" in proc.stderr and "wait_for_registry" in proc.stderr
    assert "registry" in proc.stderr
    assert query(url, "select count(*), max(month) from marts.fct_household_month") == before


def test_flags_equal_an_independent_recomputation_from_the_generators_truth(
    published: str, province: Path
) -> None:
    """Every household-month's flags, recomputed in Python from the generator's own truth."""
    from oracle.rules import FLAGS, household_months, read_truth

    expected = {
        (r["month"], r["household_id"]): r
        for r in household_months(read_truth(province / "_truth"), MONTHS)
    }
    columns = ", ".join(FLAGS)
    built = query(
        published,
        f"select month, household_id, member_count, {columns} from marts.fct_household_month",
    )
    assert len(built) == len(expected)
    mismatches = []
    for month, household_id, member_count, *flags in built:
        want = expected[(month, household_id)]
        if member_count != want["member_count"]:
            mismatches.append((month, household_id, "member_count", member_count))
        for name, value in zip(FLAGS, flags, strict=True):
            if value != want[name]:
                mismatches.append((month, household_id, name, value))
    assert mismatches == [], f"{len(mismatches)} differences, first: {mismatches[:10]}"


def test_every_input_row_is_loaded_or_quarantined(published: str, province: Path) -> None:
    """Per file: rows loaded + rows quarantined = rows the generator wrote."""
    import json

    manifest = json.loads((province / "_truth" / "manifest.json").read_text())
    history = {
        (r[0], r[1]): (r[2], r[3], r[4])
        for r in query(
            published,
            "select to_char(month, 'YYYY-MM'), file_name, rows_read, rows_loaded, "
            "rows_quarantined from ops.load_history where status = 'loaded'",
        )
    }
    assert manifest["files"]
    for entry in manifest["files"]:
        month = entry["month"]
        read, loaded, quarantined = history[(month, entry["name"])]
        assert read == entry["rows"] == loaded + quarantined, entry["name"]


def test_no_key_or_id_number_in_airflow_logs_xcoms_or_dbt_files(
    published: str, run_db: tuple[str, Path]
) -> None:
    """The run's output and log file (the tasks' logs), Airflow home, XComs and dbt's target
    and logs hold neither the warehouse's pseudonym key nor any id number."""
    import re

    from fangpin.config import dbt_project_dir
    from fangpin.warehouse.pseudonym_key import pseudonym_key

    url, home = run_db
    key = pseudonym_key(url).encode()
    ids = {r[0].encode() for r in query(published, "select id_number from raw.registry_members")}
    id_like = re.compile(rb"(?<!\d)\d{17}[\dX](?!\d)")
    folders = [home, dbt_project_dir() / "target", dbt_project_dir() / "logs"]
    files = [p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()]
    run_logs = "".join(p.read_text() for p in (home / "run-logs").glob("run-*.log"))
    assert re.search(r"dbt build\b[^\n]*\(exit 0\)", run_logs), "no dbt output in the run log"
    assert "[fangpin.stage]" in run_logs, "no task log"
    xcoms = [
        str(r[0]).encode()
        for r in query(metadata_url(url), "select value::text from xcom")
    ]
    assert xcoms, "no XComs found"
    for where, data in [*((str(p), p.read_bytes()) for p in files), *(("xcom", x) for x in xcoms)]:
        assert key not in data, f"the pseudonym key is in {where}"
        assert b"fangpin.pseudonym_key=" not in data, f"PGOPTIONS is in {where}"
        assert not {m for m in id_like.findall(data) if m in ids}, f"id numbers in {where}"
