"""A department that keys households by the head's id number publishes no id number.

The oracle province's raw rows, with every ``household_id`` replaced by the household head's
id number (in both registry feeds, so households and members still join), built by dbt; the
build must then hold no valid id number in any text column (the audit's blocking scan), and
the household keys must be the staging pseudonyms.
"""

from __future__ import annotations

import copy
from pathlib import Path

import psycopg
import pytest
from oracle import province as P

from fangpin.audit import id_scan
from fangpin.transform.dbt import dbt_build

# A dbt build (make test-fast skips it).
pytestmark = pytest.mark.slow


@pytest.fixture
def keyed_by_head(warehouse_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    feeds = copy.deepcopy(P.FEEDS)
    head_of = {r["household_id"]: r["head_id_number"] for r in feeds["registry_households"]}
    for feed in ("registry_households", "registry_members"):
        for row in feeds[feed]:
            row["household_id"] = head_of.get(row["household_id"], row["household_id"])
    with psycopg.connect(warehouse_db) as conn:
        P.insert_raw(conn, feeds)
    dbt_build(warehouse_db, P.BUILD_MONTHS[0])
    return warehouse_db


def test_household_ids_that_are_id_numbers_are_pseudonymised(keyed_by_head: str):
    with psycopg.connect(keyed_by_head) as conn:
        planted = conn.execute(
            "select count(*) from raw.registry_households"
            " where ops.id_number_valid(household_id)"
        ).fetchone()[0]
        assert planted > 0  # the department really keyed its households by id numbers
        found = id_scan.scan(conn, "marts_build")
        keys = conn.execute(
            "select distinct household_id from marts_build.fct_household_month"
        ).fetchall()
    assert found and all(ok for _, ok, _ in found), [f for f in found if not f[1]]
    assert keys and all(k.startswith("HP") and len(k) == 32 for (k,) in keys)
