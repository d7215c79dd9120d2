"""A month's publish moves that month only (issue 17): fct_household_month by partition.

A generated province is built by dbt month by month and published. The tests read the
catalog (which table is each month's partition, its relfilenode) and the rows' xmins: a
publish of month M, a rebuilt old month and a rollback each rewrite exactly the partitions
they must, and a reader during a month's publish sees the old marts or the new ones.

The audit is stood in for by a passing audit record (``pass_audit``): the audit's own tests
show that a failing one refuses the publish.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

MONTHS = [date(2021, 1, 1), date(2021, 2, 1), date(2021, 3, 1)]
JAN, FEB, MAR = MONTHS


def pass_audit(url: str, run_id: str, month: date) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into ops.audit_result (run_id, month, suite, check_name, severity, passed) "
            "values (%s, %s, 'test', 'stand_in', 'blocking', true)",
            (run_id, month),
        )


def build_and_publish(url: str, month: date, run_id: str) -> None:
    from fangpin.publish import publish
    from fangpin.transform.dbt import dbt_build

    dbt_build(url, month, run_id=None)
    pass_audit(url, run_id, month)
    publish(url, month, run_id)


def partitions(url: str) -> dict[date, tuple[str, int]]:
    """Each published month's partition: its table name and relfilenode (new when rewritten)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select c.relname, c.relfilenode, pg_get_expr(c.relpartbound, c.oid) "
            "from pg_inherits i join pg_class c on c.oid = i.inhrelid "
            "where i.inhparent = 'marts.fct_household_month'::regclass"
        ).fetchall()
    return {date.fromisoformat(bound.split("'")[1]): (name, node) for name, node, bound in rows}


def row_xmins(url: str, month: date) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return sorted(conn.execute(
            "select household_id, xmin::text from marts.fct_household_month where month = %s",
            (month,),
        ).fetchall())


def month_rows(url: str) -> dict[date, int]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute(
            "select month, count(*) from marts.fct_household_month group by 1"
        ).fetchall())


@pytest.fixture(scope="module")
def province(module_warehouse_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """300 households, three months, every month built and published in turn."""
    from fangpin.load import discover, load_feed_month
    from fangpin.synth import write_province

    root: Path = tmp_path_factory.mktemp("partitions")
    landing = root / "landing"
    write_province(landing, households=300, months=MONTHS, seed=17, messy=0.0)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DBT_TARGET_PATH", str(root / "dbt-target"))
        env.setenv("DBT_LOG_PATH", str(root / "dbt-logs"))
        for month, feeds in discover(landing).items():
            for feed in feeds:
                load_feed_month(module_warehouse_db, landing, month, feed, run_id="parts")
        for month in MONTHS[:2]:
            build_and_publish(module_warehouse_db, month, f"run-{month:%Y%m}")
        yield module_warehouse_db


def test_the_build_holds_only_the_month_and_the_publish_leaves_earlier_months_untouched(
    province: str,
) -> None:
    from fangpin.transform.dbt import dbt_build

    before = partitions(province)
    jan_xmins, feb_xmins = row_xmins(province, JAN), row_xmins(province, FEB)
    assert set(before) == {JAN, FEB}

    dbt_build(province, MAR)
    with psycopg.connect(province) as conn:
        built = conn.execute(
            "select distinct month from marts_build.fct_household_month"
        ).fetchall()
    assert built == [(MAR,)]  # the published months are not copied into the build
    pass_audit(province, "run-202103", MAR)
    from fangpin.publish import publish
    publish(province, MAR, "run-202103")

    after = partitions(province)
    assert set(after) == {JAN, FEB, MAR}
    assert after[JAN] == before[JAN] and after[FEB] == before[FEB]  # same tables, same files
    assert row_xmins(province, JAN) == jan_xmins  # not one row rewritten
    assert row_xmins(province, FEB) == feb_xmins
    with psycopg.connect(province) as conn:
        kind = conn.execute(
            "select relkind from pg_class where oid = 'marts.fct_household_month'::regclass"
        ).fetchone()[0]
        dim = [r[0] for r in conn.execute("select month from marts.dim_month order by 1")]
    assert kind == "p" and dim == MONTHS


def test_a_rebuilt_old_month_replaces_only_its_own_partition_and_rolls_back(
    province: str,
) -> None:
    from fangpin.publish import publish, rollback
    from fangpin.transform.dbt import dbt_build

    before = partitions(province)
    rows_before = month_rows(province)
    assert set(before) == set(MONTHS)
    dbt_build(province, FEB)
    with psycopg.connect(province) as conn:
        assert conn.execute(
            "select array_agg(distinct month) from marts_build.fct_household_month"
        ).fetchone()[0] == [FEB]  # March, published after it, is not copied either
        conn.execute(  # a corrected February delivery, in effect
            "update marts_build.fct_household_month set per_capita_net_income = -1"
        )
    pass_audit(province, "run-202102-again", FEB)
    publish(province, FEB, "run-202102-again")

    after = partitions(province)
    assert after[JAN] == before[JAN] and after[MAR] == before[MAR]
    assert after[FEB] != before[FEB]  # a new table for February, and only for February
    assert month_rows(province) == rows_before  # March stays published after the rebuild
    with psycopg.connect(province) as conn:
        incomes = dict(conn.execute(
            "select month, min(per_capita_net_income) = -1 and max(per_capita_net_income) = -1 "
            "from marts.fct_household_month group by 1"
        ).fetchall())
    assert incomes == {JAN: False, FEB: True, MAR: False}
    with psycopg.connect(province) as conn:
        parked = conn.execute(
            "select count(*) from marts_prev.fct_household_month__replaced_202102"
        ).fetchone()[0]
    assert parked == rows_before[FEB]  # the replaced February, kept for a rollback

    rollback(province)
    rolled = partitions(province)
    assert rolled[JAN] == before[JAN] and rolled[MAR] == before[MAR]
    assert rolled[FEB][1] == before[FEB][1]  # the very February that was published before
    assert month_rows(province) == rows_before

    rollback(province)  # and forward again
    assert partitions(province)[FEB][1] == after[FEB][1]


def test_mart_readers_read_the_partitioned_facts_but_not_the_partitions(province: str) -> None:
    from fangpin.warehouse.roles import MART_READERS

    with psycopg.connect(province) as conn:
        name = next(iter(partitions(province).values()))[0]
        for role in MART_READERS:
            with conn.transaction():
                conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
                count = conn.execute("select count(*) from marts.fct_household_month")
                assert count.fetchone()[0] > 0
                comment = conn.execute(
                    "select col_description('marts.fct_household_month'::regclass, 1)"
                ).fetchone()[0]
                assert comment  # dbt's column comments reach the partitioned table
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
                conn.execute(sql.SQL("select 1 from {} limit 1").format(
                    sql.Identifier("marts_partitions", name)))


def test_a_reader_during_a_month_publish_sees_the_old_marts_or_the_new(province: str) -> None:
    from fangpin.publish import publish
    from fangpin.transform.dbt import dbt_build

    old = month_rows(province)
    dbt_build(province, MAR)
    with psycopg.connect(province) as conn:
        conn.execute(  # the rebuilt March differs: one household fewer
            "delete from marts_build.fct_household_month where household_id = "
            "(select min(household_id) from marts_build.fct_household_month)"
        )
    pass_audit(province, "run-202103-again", MAR)
    new = {**old, MAR: old[MAR] - 1}
    seen: list[dict[date, int]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            with psycopg.connect(province, autocommit=True) as conn:
                while not stop.is_set():
                    seen.append(dict(conn.execute(
                        "select month, count(*) from marts.fct_household_month group by 1"
                    ).fetchall()))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        while not seen:  # the readers are reading before the publish starts
            threading.Event().wait(0.01)
        publish(province, MAR, "run-202103-again")
        threading.Event().wait(0.5)  # ... and after it
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert not errors
    assert old in seen and new in seen
    assert all(s in (old, new) for s in seen), [s for s in seen if s not in (old, new)]
    assert month_rows(province) == new
