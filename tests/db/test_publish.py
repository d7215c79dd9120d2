"""The publish: an atomic schema swap that readers never see half done.

These tests are about the swap itself, so the audit is stood in for by a passing audit record
(``pass_audit``); the audit's own tests show that a failing audit refuses the publish.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from audit_province import FEB, MAR, build_marts, build_province, pass_audit, snapshot
from psycopg import sql

from fangpin.pipeline.setup import ensure_warehouse
from fangpin.pipeline.status import status
from fangpin.publish import PublishError, PublishRefused, publish, refuse, rollback
from fangpin.warehouse.roles import MART_READERS, ROLES


@pytest.fixture
def province(warehouse_db: str) -> str:
    build_province(warehouse_db)
    return warehouse_db


def rebuild(url: str, tag: str) -> None:
    with psycopg.connect(url) as conn:
        build_marts(conn, tag=tag)


def publish_audited(url: str, run_id: str) -> None:
    pass_audit(url, run_id, MAR)
    publish(url, MAR, run_id)


def build_tag(url: str, schema: str = "marts") -> str:
    with psycopg.connect(url) as conn:
        return conn.execute(
            sql.SQL("select distinct build_tag from {}").format(
                sql.Identifier(schema, "dim_county")
            )
        ).fetchone()[0]


def publish_statuses(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select run_id, status from ops.publish_log order by publish_id"
        ).fetchall()


def test_publish_swaps_the_build_in_and_keeps_the_previous_marts(province: str):
    publish_audited(province, "run-1")
    rebuild(province, "v2")
    publish_audited(province, "run-2")

    assert build_tag(province, "marts") == "v2"
    assert build_tag(province, "marts_prev") == "v1"
    with psycopg.connect(province) as conn:
        assert conn.execute("select to_regnamespace('marts_build')").fetchone()[0] is None
    assert publish_statuses(province) == [("run-1", "published"), ("run-2", "published")]


def test_a_build_never_audited_is_refused(province: str):
    with pytest.raises(PublishRefused, match="no audit for 2021-03"):
        publish(province, MAR, "run-1")

    assert snapshot(province, "marts_build")  # still there to look at
    assert publish_statuses(province) == [("run-1", "refused")]


def test_a_build_rebuilt_after_its_audit_is_refused(province: str):
    publish_audited(province, "run-1")
    pass_audit(province, "run-2", MAR)
    rebuild(province, "v2")  # after the audit: what was audited is gone
    published = snapshot(province)

    with pytest.raises(PublishRefused, match="the build changed after audit run-2"):
        publish(province, MAR, "run-2")

    assert snapshot(province) == published
    assert publish_statuses(province)[-1] == ("run-2", "refused")


def test_publish_relies_on_the_months_latest_audit_when_its_run_has_none(province: str):
    pass_audit(province, "cli-audit-2021-03", MAR)

    outcome = publish(province, MAR, "cli-publish-2021-03")

    assert outcome.status == "published"


def test_refuse_records_why_and_leaves_marts_and_the_build_in_place(province: str):
    publish_audited(province, "run-1")
    rebuild(province, "v2")
    published = snapshot(province)

    outcome = refuse(province, MAR, "run-2", "blocking checks failed: x/y")

    assert outcome.status == "refused"
    assert snapshot(province) == published
    assert build_tag(province, "marts_build") == "v2"  # kept for inspection
    with psycopg.connect(province) as conn:
        assert conn.execute(
            "select month, status, reason from ops.publish_log where run_id = 'run-2'"
        ).fetchall() == [(MAR, "refused", "blocking checks failed: x/y")]


def test_rollback_restores_the_previous_marts_row_for_row(province: str):
    publish_audited(province, "run-1")
    first = snapshot(province)
    rebuild(province, "v2")
    with psycopg.connect(province) as conn:
        conn.execute("update marts_build.fct_household_month set per_capita_net_income = 1")
    publish_audited(province, "run-2")
    second = snapshot(province)
    assert second != first

    outcome = rollback(province)

    assert snapshot(province) == first
    assert outcome.status == "rolled_back" and "restored run run-1" in outcome.reason
    assert publish_statuses(province)[-1][1] == "rolled_back"
    rollback(province)  # a second rollback rolls forward again
    assert snapshot(province) == second


def test_rollback_with_no_previous_marts_changes_nothing(warehouse_db: str):
    with pytest.raises(PublishError, match="nothing to roll back"):
        rollback(warehouse_db)


def test_mart_readers_can_read_the_published_marts_and_nothing_else(province: str):
    publish_audited(province, "run-1")
    rebuild(province, "v2")
    publish_audited(province, "run-2")  # grants are made on each build, before its swap

    for role in MART_READERS:
        with psycopg.connect(province, autocommit=True) as conn:
            conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
            assert conn.execute("select count(*) from marts.fct_household_month").fetchone()[0]
            for forbidden in ("raw.registry_households", "staging.stg_registry_members__rows",
                              "ops.audit_result", "marts_prev.dim_county"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f"select 1 from {forbidden} limit 1")


def _reader_access(url: str, schema: str, table: str) -> dict[str, tuple[bool, bool]]:
    """Per mart reader: (usage on ``schema``, select on ``schema.table``)."""
    with psycopg.connect(url) as conn:
        return {
            role: conn.execute(
                "select has_schema_privilege(%s, %s, 'usage'), "
                "has_table_privilege(%s, %s, 'select')",
                (role, schema, role, f"{schema}.{table}"),
            ).fetchone()
            for role in MART_READERS
        }


def test_a_field_team_grant_that_cannot_be_applied_fails_the_publish_closed(province: str):
    """The readers' grant and the contact table's revoke are one step (``roles.grant_marts``):
    when the field-team part fails, the publish fails with it and nothing is granted or
    swapped, rather than publishing plain head names that ``evaluator`` could read."""
    publish_audited(province, "run-1")
    published = snapshot(province)
    rebuild(province, "v2")
    with psycopg.connect(province) as conn:
        # A city code that is not digits: no field-team role can be made for it.
        conn.execute(
            "create table marts_build.mart_field_sample_contact as "
            "select 'x401'::text as evaluating_city_code, '张三'::text as head_name"
        )
    before = _reader_access(province, "marts_build", "mart_field_sample_contact")
    assert before == {role: (False, False) for role in MART_READERS}
    pass_audit(province, "run-2", MAR)

    with pytest.raises(ValueError, match="a city code is digits, got 'x401'"):
        publish(province, MAR, "run-2")

    assert _reader_access(province, "marts_build", "mart_field_sample_contact") == before
    assert build_tag(province, "marts") == "v1" and snapshot(province) == published
    assert build_tag(province, "marts_build") == "v2"
    assert publish_statuses(province) == [("run-1", "published")]


def test_views_inside_the_build_follow_the_swap(province: str):
    for tag, run_id in (("v1", "run-1"), ("v2", "run-2")):
        rebuild(province, tag)
        with psycopg.connect(province) as conn:
            conn.execute(
                "create view marts_build.v_key_county_score as "
                "select s.month, d.county_name, s.score, d.build_tag "
                "from marts_build.mart_county_scorecard s "
                "join marts_build.dim_county d using (county_code) where d.is_key_county"
            )
        publish_audited(province, run_id)

    with psycopg.connect(province, autocommit=True) as conn:
        conn.execute("set role bi_reader")
        tags = conn.execute("select distinct build_tag from marts.v_key_county_score").fetchall()
    assert tags == [("v2",)]


def test_a_view_reading_outside_the_build_is_refused(province: str):
    with psycopg.connect(province) as conn:
        conn.execute(
            "create view marts_build.v_heads as "
            "select household_id, head_id_number from raw.registry_households"
        )
    pass_audit(province, "run-1", MAR)

    with pytest.raises(PublishRefused, match="v_heads reads raw.registry_households"):
        publish(province, MAR, "run-1")


def test_comments_survive_the_swap(province: str):
    with psycopg.connect(province) as conn:
        conn.execute("comment on table marts_build.dim_county is '县维度: one row per county'")
        conn.execute("comment on column marts_build.dim_county.is_key_county is '重点帮扶县'")
    publish_audited(province, "run-1")

    with psycopg.connect(province) as conn:
        table, column = conn.execute(
            "select obj_description('marts.dim_county'::regclass, 'pg_class'), "
            "col_description('marts.dim_county'::regclass, "
            "(select attnum from pg_attribute where attrelid = 'marts.dim_county'::regclass "
            "and attname = 'is_key_county'))"
        ).fetchone()
    assert (table, column) == ("县维度: one row per county", "重点帮扶县")


def _build_versioned(url: str, version: int) -> None:
    """A minimal build: two tables and a view over both, every row carrying ``version``."""
    with psycopg.connect(url) as conn:
        conn.execute("drop schema if exists marts_build cascade")
        conn.execute("create schema marts_build")
        for table in ("a", "b"):
            conn.execute(
                sql.SQL("create table marts_build.{} as select %s::int as version, g "
                        "from generate_series(1, 200) g").format(sql.Identifier(table)),
                (version,),
            )
        conn.execute(
            "create view marts_build.v as select (select max(version) from marts_build.a) as va,"
            " (select min(version) from marts_build.b) as vb"
        )


def test_readers_see_the_old_or_the_new_marts_never_a_mix_or_an_error(warehouse_db: str):
    swaps = 12
    _build_versioned(warehouse_db, 0)
    publish_audited(warehouse_db, "v0")
    done = threading.Event()
    errors: list[BaseException] = []
    seen: dict[str, list[int]] = {}

    def reader(name: str, autocommit: bool, read) -> None:  # noqa: ANN001
        versions = seen.setdefault(name, [])
        try:
            with psycopg.connect(warehouse_db, autocommit=autocommit) as conn:
                while not done.is_set():
                    first, second = read(conn)
                    assert first == second, f"{name} saw a mix: {first} and {second}"
                    assert not versions or first >= versions[-1], f"{name} went back in time"
                    versions.append(first)
                    if not autocommit:
                        conn.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            errors.append(error)

    def one_query(conn: psycopg.Connection) -> tuple[int, int]:
        return conn.execute(
            "select (select max(version) from marts.a), (select min(version) from marts.b)"
        ).fetchone()

    def view(conn: psycopg.Connection) -> tuple[int, int]:
        return conn.execute("select va, vb from marts.v").fetchone()

    def two_statements(conn: psycopg.Connection) -> tuple[int, int]:
        a = conn.execute("select max(version) from marts.a").fetchone()[0]
        time.sleep(0.002)
        return a, conn.execute("select min(version) from marts.b").fetchone()[0]

    threads = [
        threading.Thread(target=reader, args=("one query", True, one_query)),
        threading.Thread(target=reader, args=("view", True, view)),
        threading.Thread(target=reader, args=("transaction", False, two_statements)),
    ]
    for t in threads:
        t.start()
    try:
        for version in range(1, swaps + 1):
            _build_versioned(warehouse_db, version)
            publish_audited(warehouse_db, f"v{version}")
    finally:
        done.set()
        for t in threads:
            t.join(timeout=30)

    assert errors == []
    for name, versions in seen.items():
        assert len(set(versions)) > 1, f"{name} never saw a swap"
        assert versions[-1] == swaps, name


def test_status_summarises_what_is_published_audited_and_loaded(province: str):
    publish_audited(province, "run-1")

    report = status(province)

    kinds = {(r.kind, r.name) for r in report.rows}
    assert ("published", "marts") in kinds
    assert ("audit", "run-1") in kinds and ("publish", "run-1") in kinds
    assert ("load", "registry_households") in kinds
    published = next(r for r in report.rows if r.kind == "published")
    assert (published.month, published.detail) == (MAR, "run run-1")
    assert "registry_households" in str(report)


def test_roles_are_group_roles_and_setting_up_again_changes_nothing(warehouse_db: str):
    ensure_warehouse(warehouse_db)
    with psycopg.connect(warehouse_db) as conn:
        rows = conn.execute(
            "select rolname, rolcanlogin from pg_roles where rolname = any(%s)", (list(ROLES),)
        ).fetchall()
    assert sorted(rows) == sorted((role, False) for role in ROLES)


def _audit_attempt(url: str, run_id: str, attempt: str, passed: bool) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into ops.audit_result (run_id, month, suite, check_name, severity, passed, "
            "attempt) values (%s, %s, 'test', 'stand_in', 'blocking', %s, %s)",
            (run_id, MAR, passed, attempt),
        )


def test_a_cleared_audit_is_relied_on_by_its_latest_attempt_only(province: str):
    # Airflow's Clear: the first attempt audited an older build and refused; the build is
    # rebuilt and audited again under the same run_id. The first attempt says nothing now.
    _audit_attempt(province, "scheduled__2021-04-06", "attempt-1", passed=False)
    rebuild(province, "v2")
    _audit_attempt(province, "scheduled__2021-04-06", "attempt-2", passed=True)

    outcome = publish(province, MAR, "scheduled__2021-04-06")

    assert outcome.status == "published"
    assert build_tag(province) == "v2"


def test_the_latest_attempt_of_a_cleared_audit_refuses_when_it_failed(province: str):
    _audit_attempt(province, "scheduled__2021-04-06", "attempt-1", passed=True)
    _audit_attempt(province, "scheduled__2021-04-06", "attempt-2", passed=False)

    with pytest.raises(PublishRefused, match="blocking checks failed: test/stand_in"):
        publish(province, MAR, "scheduled__2021-04-06")


def test_a_refused_publish_is_not_retryable():
    from fangpin.errors import NotRetryable

    assert issubclass(PublishRefused, NotRetryable)


def test_a_build_that_would_remove_a_published_month_is_refused(province: str):
    publish_audited(province, "run-1")
    with psycopg.connect(province) as conn:
        build_marts(conn, tag="v2")
        months = conn.execute("select count(distinct month) from marts_build.fct_household_month"
                              ).fetchone()[0]
        assert months == 2
        conn.execute("delete from marts_build.fct_household_month where month = '2021-02-01'")
    pass_audit(province, "run-2", MAR)
    published = snapshot(province)

    with pytest.raises(PublishRefused, match="would remove published months from marts: 2021-02"):
        publish(province, MAR, "run-2")

    assert snapshot(province) == published


def test_a_build_adding_a_month_whose_audit_refused_it_is_refused(province: str):
    """A refused month stays in the history: the next month's build must not publish it."""
    with psycopg.connect(province) as conn:
        conn.execute("delete from ops.audit_result where month = %s", (FEB,))
        conn.execute(
            "insert into ops.audit_result (run_id, month, suite, check_name, severity, passed,"
            " observed_value) values ('february-run', %s, 'marts.fct_household_month',"
            " 'household_month_unique', 'blocking', false, '2 duplicates')",
            (FEB,),
        )
    marts_before = _marts_relations(province)
    pass_audit(province, "march-run", MAR)

    with pytest.raises(PublishRefused) as refused:
        publish(province, MAR, "march-run")

    message = str(refused.value)
    assert "2021-02 (audit february-run refused it" in message
    assert "household_month_unique (2 duplicates)" in message
    assert _marts_relations(province) == marts_before  # marts untouched, relation for relation
    assert publish_statuses(province)[-1] == ("march-run", "refused")


def test_a_build_adding_a_month_never_audited_is_refused_until_it_passes(province: str):
    with psycopg.connect(province) as conn:
        conn.execute("delete from ops.audit_result where month = %s", (FEB,))
    pass_audit(province, "march-run", MAR)

    with pytest.raises(PublishRefused, match=r"2021-02 \(never audited\)"):
        publish(province, MAR, "march-run")

    pass_audit(province, "february-rerun", FEB)
    publish(province, MAR, "march-run")
    assert publish_statuses(province)[-1] == ("march-run", "published")


def _marts_relations(url: str) -> list[tuple]:
    """Each relation in ``marts`` with its catalog row's xmin: a swap would change both."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select relname, xmin::text from pg_class where relnamespace = 'marts'::regnamespace"
            " order by relname"
        ).fetchall()


# --- fct_household_month, a partition a month (fangpin.publish.partitions) ----------------


def _fact_months(url: str, schema: str = "marts") -> dict:
    with psycopg.connect(url) as conn:
        kind = conn.execute(
            "select relkind from pg_class where oid = to_regclass(%s)",
            (f"{schema}.fct_household_month",),
        ).fetchone()
        rows = conn.execute(sql.SQL(
            "select month, count(*) from {} group by 1 order by 1"
        ).format(sql.Identifier(schema, "fct_household_month"))).fetchall()
    return {"kind": kind[0] if kind else None, "rows": rows}


def _with_dim_month(conn: psycopg.Connection, schema: str = "marts_build") -> None:
    """The build's months, as dbt's dim_month lists them (the hand-built marts have none)."""
    conn.execute(sql.SQL(
        "create table {}.dim_month as select distinct month from {}.fct_household_month"
    ).format(sql.Identifier(schema), sql.Identifier(schema)))


def test_a_warehouse_published_before_partitioning_is_partitioned_at_its_next_publish(
    province: str,
):
    with psycopg.connect(province) as conn:
        build_marts(conn, schema="marts", tag="v0")  # a plain fct_household_month, published
        _with_dim_month(conn, "marts")
        _with_dim_month(conn)
        conn.execute("delete from marts_build.fct_household_month where month <> %s", (MAR,))
    legacy = _fact_months(province)
    assert legacy["kind"] == "r"

    publish_audited(province, "run-1")

    assert _fact_months(province) == {"kind": "p", "rows": legacy["rows"]}
    with psycopg.connect(province) as conn:
        parts = conn.execute(
            "select count(*) from pg_inherits where inhparent = "
            "'marts.fct_household_month'::regclass"
        ).fetchone()[0]
    assert parts == 2  # February copied once from the plain table, March filed from the build
    rollback(province)
    assert _fact_months(province) == legacy  # the plain table is back


def test_a_build_whose_facts_lack_a_month_it_holds_is_refused(province: str):
    with psycopg.connect(province) as conn:
        _with_dim_month(conn)  # February and March
        conn.execute("delete from marts_build.fct_household_month where month = %s", (FEB,))
    before = _marts_relations(province)

    with pytest.raises(PublishRefused, match=r"not hold the build.s months \(missing: 2021-02"):
        publish_audited(province, "run-1")

    assert _marts_relations(province) == before
    assert publish_statuses(province)[-1] == ("run-1", "refused")


def test_a_model_with_new_columns_is_refused_until_the_build_holds_every_month(province: str):
    publish_audited(province, "run-1")
    with psycopg.connect(province) as conn:
        build_marts(conn, tag="v2")
        _with_dim_month(conn)
        conn.execute("alter table marts_build.fct_household_month add column new_flag boolean")
        conn.execute("delete from marts_build.fct_household_month where month <> %s", (MAR,))
    pass_audit(province, "run-2", MAR)

    with pytest.raises(PublishRefused, match="FANGPIN_PUBLISH_ALL_MONTHS=1"):
        publish(province, MAR, "run-2")

    with psycopg.connect(province) as conn:  # the same build with every month: accepted
        build_marts(conn, tag="v3")
        _with_dim_month(conn)
        conn.execute("alter table marts_build.fct_household_month add column new_flag boolean")
    pass_audit(province, "run-3", MAR)
    publish(province, MAR, "run-3")
    with psycopg.connect(province) as conn:
        columns = [r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = 'fct_household_month'")]
    assert "new_flag" in columns
    assert _fact_months(province)["kind"] == "p"
