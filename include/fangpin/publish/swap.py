"""Publish the audited build by swapping schemas, roll it back, or refuse it.

The swap, in one transaction::

    grant the mart readers on the build            (grants travel with the objects)
    lock every relation of marts and marts_prev    (access exclusive, see below)
    drop schema if exists marts_prev cascade
    alter schema marts rename to marts_prev
    revoke the readers' usage of marts_prev        (they read marts only)
    alter schema marts_build rename to marts
    insert into ops.publish_log (... 'published' ...)

What a concurrent reader sees. PostgreSQL resolves a name such as ``marts.x`` to a table when
it locks it, statement by statement and table by table, from the latest committed catalog. A
rename alone takes no lock on the tables, so a query reading ``marts.a`` and ``marts.b`` could
resolve ``a`` before the swap commits and ``b`` after it: old ``a`` with new ``b``. Locking
every published relation first closes that window: a reader that has already locked an old
table keeps the swap waiting until its transaction ends (it sees the old marts throughout);
a reader arriving during the swap waits a few milliseconds, re-resolves its names after the
commit and sees the new marts throughout. Nobody gets an error or a mix.

Deadlock: a reader holding ``b`` and wanting ``a`` while the swap holds ``a`` and wants ``b``
would be broken by PostgreSQL's deadlock detector, possibly by killing the reader. So the
swap waits for each lock at most ``LOCK_TIMEOUT_MS``, below the server's ``deadlock_timeout``
(1 s by default): the swap always gives way first, rolls back and tries again shortly after.

Refusing leaves ``marts`` untouched and keeps ``marts_build`` as it is, so that the failing
build can be inspected; the next ``dbt build`` replaces it.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

import psycopg
from psycopg import sql

from fangpin.errors import NotRetryable
from fangpin.faults import fault_point
from fangpin.publish import partitions
from fangpin.warehouse.connection import one_row
from fangpin.warehouse.roles import grant_marts, revoke_marts

log = logging.getLogger("fangpin.publish")

PUBLISHED = "marts"
PREVIOUS = "marts_prev"
BUILD = "marts_build"
#: Serialises publishes and rollbacks of one database (pg_advisory_xact_lock key).
PUBLISH_LOCK = 74_210_005
#: How long the swap waits for one lock before giving way; below ``deadlock_timeout``.
LOCK_TIMEOUT_MS = 500
#: How long a publish keeps trying when readers hold the marts.
WAIT_SECONDS = 120.0
#: Schemas a view in the build may read besides the build itself; anything else would either
#: point at the wrong tables after the swap (marts, marts_prev) or expose what marts readers
#: must not see (raw, staging, intermediate, ops).
VIEW_MAY_READ = ("seeds", "pg_catalog", "information_schema")


class PublishError(RuntimeError):
    """The publish or rollback could not happen (nothing to roll back, readers never let go)."""


class _Refusal(Exception):
    """Raised inside the swap's transaction to roll it back and refuse the publish."""


class PublishRefused(PublishError, NotRetryable):
    """The build may not be published; the refusal is in ``ops.publish_log``.

    Not retryable: the same build and the same audit give the same refusal.
    """


@dataclass(frozen=True)
class PublishOutcome:
    month: date | None
    run_id: str
    status: str  # published, refused, rolled_back
    reason: str | None = None
    attempts: int = 1

    def __str__(self) -> str:
        month = f"{self.month:%Y-%m}" if self.month else "-"
        text = f"{self.status}: {month} (run {self.run_id})"
        return f"{text}; {self.reason}" if self.reason else text


def publish(
    url: str, month: date, run_id: str, build_schema: str = BUILD, *,
    wait_seconds: float = WAIT_SECONDS,
) -> PublishOutcome:
    """Swap the audited build into ``marts`` atomically; refuse if the audit did not pass.

    Raises ``PublishRefused`` (after logging the refusal) when the build is missing, its audit
    for ``run_id`` and ``month`` is missing or failed, or one of its views reads outside it.
    """
    month = month.replace(day=1)

    def swap(conn: psycopg.Connection) -> PublishOutcome:
        problem = _why_not(conn, month, run_id, build_schema)
        if problem:
            _log_publish(conn, month, run_id, "refused", problem)
            return PublishOutcome(month, run_id, "refused", problem)
        built_months = _months_of(conn, build_schema)
        try:
            staged = partitions.stage(conn, build_schema, PUBLISHED, built_months)
        except partitions.PartitionError as exc:
            raise _Refusal(str(exc)) from None
        _warn_uncommented(conn, build_schema)
        _set_state(conn, build_schema, month, run_id, staged.months if staged else ())
        _lock_relations(conn, (PUBLISHED, PREVIOUS))
        _warn_external_dependents(conn)
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(PREVIOUS)))
        if staged:
            partitions.swap_in(conn, staged, build_schema, PUBLISHED)
        grant_marts(conn, build_schema)
        _no_hole(conn, build_schema, built_months)
        if _schema_exists(conn, PUBLISHED):
            _rename(conn, PUBLISHED, PREVIOUS)
            revoke_marts(conn, PREVIOUS)
        fault_point("swap")  # tests kill here: marts renamed away, the build not yet in
        _rename(conn, build_schema, PUBLISHED)
        _log_publish(conn, month, run_id, "published", None)
        return PublishOutcome(month, run_id, "published")

    try:
        outcome = _in_swap_transaction(url, swap, wait_seconds)
    except _Refusal as refusal:
        # Found inside the swap's transaction, which rolled back: recorded on its own.
        outcome = refuse(url, month, run_id, str(refusal))
    if outcome.status == "refused":
        log.error("publish of %s refused (run %s): %s", f"{month:%Y-%m}", run_id, outcome.reason)
        raise PublishRefused(f"{month:%Y-%m}: publish refused: {outcome.reason}")
    log.info("published %s (run %s) after %d attempt(s)", f"{month:%Y-%m}", run_id,
             outcome.attempts)
    return outcome


def rollback(url: str, run_id: str | None = None, *,
             wait_seconds: float = WAIT_SECONDS) -> PublishOutcome:
    """Swap ``marts_prev`` back into ``marts`` (and the rolled-back marts into marts_prev).

    Running it twice rolls forward again. Grants and comments travel with the schemas.
    """
    run_id = run_id or f"rollback-{datetime.now(UTC):%Y%m%dT%H%M%S}"

    def swap(conn: psycopg.Connection) -> PublishOutcome:
        if not _schema_exists(conn, PREVIOUS):
            raise PublishError("nothing to roll back to: there is no marts_prev")
        _lock_relations(conn, (PUBLISHED, PREVIOUS))
        leaving = published_state(conn, PUBLISHED)
        restored = published_state(conn, PREVIOUS)
        months = [date.fromisoformat(m) for m in leaving.get("attached", [])]
        partitions.swap_back(conn, months, PUBLISHED, PREVIOUS)
        # The restored marts now differ from the leaving ones in the same months: a second
        # rollback swaps those back (rolls forward).
        _write_state(conn, PREVIOUS, {**restored, "attached": leaving.get("attached", [])})
        parking = "marts_rolling_back"
        _rename(conn, PUBLISHED, parking)
        _rename(conn, PREVIOUS, PUBLISHED)
        _rename(conn, parking, PREVIOUS)
        grant_marts(conn, PUBLISHED)
        revoke_marts(conn, PREVIOUS)
        month = date.fromisoformat(restored["month"]) if restored.get("month") else None
        reason = (
            f"restored run {restored.get('run_id', '?')}; "
            f"run {leaving.get('run_id', '?')} moved to {PREVIOUS}"
        )
        _log_publish(conn, month, run_id, "rolled_back", reason)
        return PublishOutcome(month, run_id, "rolled_back", reason)

    outcome = _in_swap_transaction(url, swap, wait_seconds)
    log.info("rollback: %s", outcome)
    return outcome


def refuse(url: str, month: date, run_id: str, reason: str) -> PublishOutcome:
    """Record that ``month``'s build is not published; ``marts`` and the build stay as they are."""
    month = month.replace(day=1)
    with psycopg.connect(url) as conn:
        _log_publish(conn, month, run_id, "refused", reason)
    log.error("publish of %s refused (run %s): %s", f"{month:%Y-%m}", run_id, reason)
    return PublishOutcome(month, run_id, "refused", reason)


def published_state(conn: psycopg.Connection, schema: str) -> dict:
    """Which month and run a swapped schema holds: the publish writes it on the schema itself.

    A schema comment travels with the schema through every rename, so it cannot disagree with
    what the schema holds, as a log table could after a manual fix.
    """
    row = conn.execute(
        "select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s",
        (schema,),
    ).fetchone()
    if not row or not row[0]:
        return {}
    try:
        state = json.loads(row[0])
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


# --- the transaction -----------------------------------------------------------------------


def _in_swap_transaction(url: str, body, wait_seconds: float) -> PublishOutcome:  # noqa: ANN001
    """Run ``body`` in one transaction, retrying while readers hold the locks it needs."""
    deadline = time.monotonic() + wait_seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            with psycopg.connect(url) as conn:
                conn.execute(f"set local lock_timeout = {LOCK_TIMEOUT_MS}")
                conn.execute("select pg_advisory_xact_lock(%s)", (PUBLISH_LOCK,))
                outcome = body(conn)
            return PublishOutcome(
                outcome.month, outcome.run_id, outcome.status, outcome.reason, attempt
            )
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
            if time.monotonic() > deadline:
                raise PublishError(
                    f"readers held the marts for over {wait_seconds:.0f} s; nothing changed, "
                    "try again later"
                ) from None
            time.sleep(min(0.05 * attempt, 1.0) * (0.5 + random.random()))


def _why_not(conn: psycopg.Connection, month: date, run_id: str, build: str) -> str | None:
    """Why the build may not be published, or None.

    The audit relied on is ``run_id``'s for the month, or else the month's latest (so that
    ``fangpin audit`` then ``fangpin publish`` works); of that run, only its latest attempt
    counts (Airflow's Clear re-runs a task under the same run_id: an earlier attempt's rows,
    older than the build or failed, say nothing about the build now). It must have passed and
    be newer than every relation of the build, so a build rebuilt after its audit is never
    published.
    """
    if not _schema_exists(conn, build):
        return f"there is no build schema {build}: run the transform first"
    newest_build_age = one_row(conn.execute(
        # age(xmin) of a relation's catalog row: how many transactions ago it was (re)created;
        # dbt creates or renames every model it builds, so a rebuild always shows here.
        "select min(age(xmin)) from pg_class where relnamespace = %s::regnamespace "
        "and relkind in ('r', 'p', 'v', 'm')",
        (build,),
    ))[0]
    if newest_build_age is None:
        return f"the build schema {build} is empty"
    audit = conn.execute(_LATEST_AUDIT, (run_id, month, month, month, month)).fetchone()
    if not audit:
        return f"no audit for {month:%Y-%m}: nothing is published unaudited"
    audit_run, _checks, oldest_audit_age, blocking = audit
    if blocking:
        return f"audit {audit_run}: " + _blocking_failures(conn, audit_run, month)
    if oldest_audit_age >= newest_build_age:
        return f"the build changed after audit {audit_run}: audit it again"
    published, built = _months_of(conn, PUBLISHED), _months_of(conn, build)
    dropped = _months_dropped(published, built)
    if dropped:
        return (
            "the build would remove published months from marts: "
            + ", ".join(f"{m:%Y-%m}" for m in dropped)
            + " (published months are only ever added or replaced)"
        )
    unaudited = _months_added_unaudited(conn, published, built, month)
    if unaudited:
        return (
            "the build holds months that are not published and have no passing audit: "
            + "; ".join(unaudited)
            + " (their rows would be published unchecked: rebuild and publish those months "
            "first, in order)"
        )
    stray = _views_reading_outside(conn, build)
    if stray:
        return "views must read only the build (they would point elsewhere after the swap): " + (
            ", ".join(stray)
        )
    return None


#: The latest audit attempt of the run (else of the month): its rows only. Rows written before
#: attempts were recorded (attempt null) count as one attempt per run.
_LATEST_AUDIT = """
    with chosen as (
        select coalesce(
            (select run_id from ops.audit_result where run_id = %s and month = %s limit 1),
            (select run_id from ops.audit_result where month = %s order by audit_id desc limit 1)
        ) as run_id
    ),
    latest as (
        select coalesce(a.attempt, '') as attempt
        from ops.audit_result a join chosen c on c.run_id = a.run_id
        where a.month = %s
        order by a.audit_id desc
        limit 1
    )
    select a.run_id, count(*), max(age(a.xmin)),
           array_agg(a.suite || '/' || a.check_name order by a.audit_id)
               filter (where not a.passed and a.severity = 'blocking')
    from ops.audit_result a
    join chosen c on c.run_id = a.run_id
    join latest l on l.attempt = coalesce(a.attempt, '')
    where a.month = %s
    group by a.run_id
"""


def _months_dropped(published: list[date] | None, built: list[date] | None) -> list[date]:
    """Months ``marts`` holds that the build does not: a publish must never remove one."""
    if published is None:
        return []
    return sorted(set(published) - set(built or []))


def _months_added_unaudited(
    conn: psycopg.Connection, published: list[date] | None, built: list[date] | None,
    month: date,
) -> list[str]:
    """Months other than ``month`` the build would add to ``marts`` without a passing audit.

    The audit checks the month being built; the history tables keep every earlier month's rows
    as its own run left them. A month whose audit refused it (or whose run died before its
    audit) is still in the history, so the next month's build holds it: publishing that build
    would publish the refused rows. Each month the publish adds must therefore have passed its
    own latest audit attempt; one that did not is named with why.
    """
    added = sorted(set(built or []) - set(published or []) - {month})
    found: list[str] = []
    for other in added:
        audit = conn.execute(_LATEST_AUDIT, (None, other, other, other, other)).fetchone()
        if not audit:
            found.append(f"{other:%Y-%m} (never audited)")
        elif audit[3]:
            found.append(f"{other:%Y-%m} (audit {audit[0]} refused it: "
                         + _blocking_failures(conn, audit[0], other) + ")")
    return found


def _months_of(conn: psycopg.Connection, schema: str) -> list[date] | None:
    """The months a marts schema holds (dim_month, else fct_household_month), None if neither."""
    for table in ("dim_month", "fct_household_month"):
        found = conn.execute(
            "select 1 from pg_class where relnamespace = %s::regnamespace and relname = %s",
            (schema, table),
        ).fetchone() if _schema_exists(conn, schema) else None
        if found:
            rows = conn.execute(
                sql.SQL("select distinct month from {}").format(sql.Identifier(schema, table))
            ).fetchall()
            return [r[0] for r in rows]
    return None


def _no_hole(conn: psycopg.Connection, build: str, built: list[date] | None) -> None:
    """After the partitions moved: the fact table holds exactly the build's months.

    A build whose ``fct_household_month`` lacks a month its other marts hold (or holds one they
    do not) would publish a hole; raising rolls the whole swap back.
    """
    if built is None or partitions.kind(conn, build, partitions.TABLE) is None:
        return
    facts = partitions.months_published(conn, build) or []
    if sorted(facts) != sorted(built):
        missing = sorted(set(built) - set(facts))
        extra = sorted(set(facts) - set(built))
        raise _Refusal(
            f"{partitions.TABLE} would not hold the build's months (missing: "
            + (", ".join(f"{m:%Y-%m}" for m in missing) or "-") + "; not in dim_month: "
            + (", ".join(f"{m:%Y-%m}" for m in extra) or "-")
            + "): nothing published, rebuild the month"
        )


def _blocking_failures(conn: psycopg.Connection, audit_run: str, month: date) -> str:
    """The audit's blocking failures with the keys of their failing rows."""
    from fangpin.audit.run import describe_failure

    rows = conn.execute(
        "select suite || '/' || check_name, observed_value, sample_rows from ops.audit_result"
        " where run_id = %s and month = %s and not passed and severity = 'blocking'"
        "   and coalesce(attempt, '') = (select coalesce(attempt, '') from ops.audit_result"
        "       where run_id = %s and month = %s order by audit_id desc limit 1)"
        " order by audit_id",
        (audit_run, month, audit_run, month),
    ).fetchall()
    return "blocking checks failed: " + "; ".join(
        describe_failure(label, observed, sample) for label, observed, sample in rows
    )


def _views_reading_outside(conn: psycopg.Connection, build: str) -> list[str]:
    rows = conn.execute(
        """
        select distinct v.relname || ' reads ' || tn.nspname || '.' || t.relname
        from pg_class v
        join pg_rewrite r on r.ev_class = v.oid
        join pg_depend d on d.objid = r.oid and d.classid = 'pg_rewrite'::regclass
             and d.refclassid = 'pg_class'::regclass
        join pg_class t on t.oid = d.refobjid
        join pg_namespace tn on tn.oid = t.relnamespace
        where v.relnamespace = %s::regnamespace and v.relkind in ('v', 'm')
          and t.oid <> v.oid and tn.nspname <> %s and tn.nspname <> all(%s)
        order by 1
        """,
        (build, build, list(VIEW_MAY_READ)),
    ).fetchall()
    return [r[0] for r in rows]


def _lock_relations(conn: psycopg.Connection, schemas: tuple[str, ...]) -> None:
    """Access-exclusive locks on every table and view readers may be using.

    Views first, as a reader of a view locks the view before its tables: taking locks in the
    readers' order makes the swap give way (lock timeout) less often.
    """
    rows = conn.execute(
        "select n.nspname, c.relname from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm', 'f') "
        "order by c.relkind not in ('v', 'm'), n.nspname, c.relname",
        (list(schemas),),
    ).fetchall()
    if rows:
        names = sql.SQL(", ").join(sql.Identifier(s, t) for s, t in rows)
        conn.execute(sql.SQL("lock table {} in access exclusive mode").format(names))


def _warn_external_dependents(conn: psycopg.Connection) -> None:
    """Views elsewhere that still point at marts_prev's tables die with it: say so."""
    rows = conn.execute(
        """
        select distinct vn.nspname || '.' || v.relname
        from pg_depend d
        join pg_rewrite r on r.oid = d.objid and d.classid = 'pg_rewrite'::regclass
        join pg_class v on v.oid = r.ev_class
        join pg_namespace vn on vn.oid = v.relnamespace
        join pg_class t on t.oid = d.refobjid and d.refclassid = 'pg_class'::regclass
        where t.relnamespace = %s::regnamespace and vn.nspname <> %s
        """,
        (PREVIOUS, PREVIOUS),
    ).fetchall() if _schema_exists(conn, PREVIOUS) else []
    if rows:
        log.warning(
            "dropping %s also drops views outside it that still read it (a view outside the "
            "swapped schema binds to the old tables; create it inside the build instead): %s",
            PREVIOUS, ", ".join(r[0] for r in rows),
        )


def _warn_uncommented(conn: psycopg.Connection, build: str) -> None:
    rows = conn.execute(
        "select relname from pg_class where relnamespace = %s::regnamespace "
        "and relkind in ('r', 'p', 'v', 'm') and obj_description(oid, 'pg_class') is null "
        "order by 1",
        (build,),
    ).fetchall()
    if rows:
        log.warning(
            "published without a description (dbt persist_docs): %s",
            ", ".join(r[0] for r in rows),
        )


def _set_state(conn: psycopg.Connection, schema: str, month: date, run_id: str,
               attached: tuple[date, ...]) -> None:
    """The schema's state: its month and run, and the months whose partitions it replaced."""
    _write_state(conn, schema, {
        "month": month.isoformat(), "run_id": run_id,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "attached": [m.isoformat() for m in attached],
    })


def _write_state(conn: psycopg.Connection, schema: str, state: dict) -> None:
    conn.execute(
        sql.SQL("comment on schema {} is {}").format(
            sql.Identifier(schema), sql.Literal(json.dumps(state))
        )
    )


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    return bool(
        conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone()
    )


def _rename(conn: psycopg.Connection, old: str, new: str) -> None:
    conn.execute(
        sql.SQL("alter schema {} rename to {}").format(sql.Identifier(old), sql.Identifier(new))
    )


def _log_publish(
    conn: psycopg.Connection, month: date | None, run_id: str, status: str, reason: str | None
) -> None:
    conn.execute(
        "insert into ops.publish_log (month, run_id, status, reason) values (%s, %s, %s, %s)",
        (month, run_id, status, reason),
    )
