"""A rejected file at the load step: the month goes on, and says which delivery stays in force.

Real loads (``fangpin.pipeline.monthly.load``, the DAG's load step) of a small generated
province into a fresh warehouse; the files are spoilt the way FEEDS.md "File format"
describes (a required column missing). The month's build from the delivery in force is
checked end to end in tests/e2e/test_rejected_files.py.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import psycopg
import pytest

from fangpin.load.rejections import standing
from fangpin.pipeline.monthly import StageFailed, load

JAN, FEB, APR = date(2021, 1, 1), date(2021, 2, 1), date(2021, 4, 1)


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fangpin.synth import write_province

    out = tmp_path_factory.mktemp("province")
    write_province(out, households=60, months=[JAN, FEB], seed=5)
    return out


def month_landing(province: Path, landing: Path, month: date, feed: str) -> Path:
    """Copy one feed-month of the province into ``landing``; returns its folder."""
    target = landing / f"{month:%Y-%m}" / feed
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(province / f"{month:%Y-%m}" / feed, target)
    return target


def drop_column(path: Path, column: str) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    index = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(r[:index] + r[index + 1:] for r in rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def scalar(url: str, statement: str, *params: object) -> object:
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchone()[0]


def shipped_parameters(url: str) -> None:
    """seeds.policy_parameters as ``dbt seed`` leaves it (the loads run before any build)."""
    with psycopg.connect(url) as conn:
        conn.execute("create table seeds.policy_parameters (parameter text, value numeric)")
        conn.execute("insert into seeds.policy_parameters values ('feed_max_age_months', 2)")


def test_a_rejected_re_delivery_keeps_the_months_earlier_delivery_in_force(
    warehouse_db: str, province: Path, tmp_path: Path
) -> None:
    folder = month_landing(province, tmp_path, JAN, "medical")
    assert load(warehouse_db, tmp_path, JAN, "medical", "run-1")["status"] == "loaded"
    rows = scalar(warehouse_db, "select count(*) from raw.medical where _snapshot_month = %s", JAN)
    spoilt = sorted(folder.iterdir())[3]
    drop_column(spoilt, "id_number")

    result = load(warehouse_db, tmp_path, JAN, "medical", "run-2")

    assert result["status"] == "rejected"
    assert result["file"] == spoilt.name and "id_number" in result["cause"]
    assert result["in_force"] == "2021-01-01"
    assert result["line"] == (
        f"2021-01 medical: REJECTED {spoilt.name}: {result['cause'].split(': ', 1)[1]} "
        "-> in force: the 2021-01 delivery accepted earlier stays in force "
        "(this re-delivery is not taken)"
    )
    # nothing of the re-delivery is taken: the first delivery's rows are all still there
    assert scalar(
        warehouse_db, "select count(*) from raw.medical where _snapshot_month = %s", JAN
    ) == rows
    assert scalar(
        warehouse_db,
        "select status from ops.run_log where run_id = 'run-2' and stage = 'load:medical' "
        "order by run_log_id desc limit 1",
    ) == "rejected"
    assert [r.line() for r in standing(warehouse_db)] == [result["line"]]


def test_a_corrected_delivery_answers_the_rejection(
    warehouse_db: str, province: Path, tmp_path: Path
) -> None:
    folder = month_landing(province, tmp_path, FEB, "education")
    drop_column(sorted(folder.iterdir())[0], "status")
    assert load(warehouse_db, tmp_path, FEB, "education", "run-1")["status"] == "rejected"
    month_landing(province, tmp_path, FEB, "education")  # the department sends it again, whole

    assert load(warehouse_db, tmp_path, FEB, "education", "run-2")["status"] == "loaded"

    assert standing(warehouse_db) == []
    with psycopg.connect(warehouse_db) as conn:
        delivery = conn.execute(
            "select status, files_rejected, pending_rejection from ops.feed_delivery "
            "where feed = 'education' and month = %s",
            (FEB,),
        ).fetchone()
    assert delivery == ("loaded", 1, None)


def test_a_rejected_first_delivery_leaves_the_feed_absent_and_unverified(
    warehouse_db: str, province: Path, tmp_path: Path
) -> None:
    shipped_parameters(warehouse_db)
    drop_column(next(month_landing(province, tmp_path, FEB, "housing").iterdir()), "safety_grade")

    result = load(warehouse_db, tmp_path, FEB, "housing", "run-1")

    assert result["status"] == "rejected" and result["in_force"] is None
    assert result["in_force_text"] == (
        "none within feed_max_age_months = 2: housing is absent for 2021-02, "
        "its checks are UNVERIFIED"
    )


def test_an_earlier_delivery_past_feed_max_age_is_not_in_force(
    warehouse_db: str, province: Path, tmp_path: Path
) -> None:
    shipped_parameters(warehouse_db)
    month_landing(province, tmp_path, JAN, "water")
    assert load(warehouse_db, tmp_path, JAN, "water", "run-1")["status"] == "loaded"
    april = tmp_path / "2021-04" / "water"
    april.mkdir(parents=True)
    source = next((tmp_path / "2021-01" / "water").iterdir())
    (april / source.name).write_bytes(source.read_bytes())
    drop_column(april / source.name, "village_code")

    result = load(warehouse_db, tmp_path, APR, "water", "run-2")

    assert result["in_force"] is None  # January is three months before April; the limit is 2
    assert "water is absent for 2021-04" in result["in_force_text"]


def test_a_rejected_registry_with_an_earlier_snapshot_in_reach_goes_on(
    warehouse_db: str, province: Path, tmp_path: Path
) -> None:
    shipped_parameters(warehouse_db)
    month_landing(province, tmp_path, JAN, "registry_members")
    assert load(warehouse_db, tmp_path, JAN, "registry_members", "run-1")["status"] == "loaded"
    drop_column(next(month_landing(province, tmp_path, FEB, "registry_members").iterdir()),
                "relation")

    result = load(warehouse_db, tmp_path, FEB, "registry_members", "run-2")

    assert result["status"] == "rejected"
    assert result["in_force_text"] == "the 2021-01 delivery stays in force"


def test_a_rejected_registry_with_no_snapshot_in_reach_stops_the_month(
    warehouse_db: str, province: Path, tmp_path: Path
) -> None:
    shipped_parameters(warehouse_db)
    drop_column(
        next(month_landing(province, tmp_path, JAN, "registry_households").iterdir()),
        "monitoring_status",
    )

    with pytest.raises(StageFailed) as failure:
        load(warehouse_db, tmp_path, JAN, "registry_households", "run-1")

    message = str(failure.value)
    assert message.startswith("2021-01: the month is not built: 2021-01 registry_households: "
                              "REJECTED registry_households_2021-01.csv")
    assert message.endswith("no registry snapshot in reach, 2021-01 is not built")
    assert scalar(
        warehouse_db,
        "select status from ops.run_log where run_id = 'run-1' order by run_log_id desc limit 1",
    ) == "failed"
