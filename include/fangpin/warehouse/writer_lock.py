"""One writer at a time: a warehouse-wide lock that PostgreSQL itself releases.

Everything that changes what a month is built from or what ``marts`` holds (a ``fangpin run``,
each building step of a DAG run, ``fangpin publish`` and its rollback) holds this lock while it
works. It is a *session* advisory lock on a connection of its own: when the holder dies
(``kill -9``, a lost worker, a stopped server) PostgreSQL drops the session and the lock with
it, so no stale lock row ever needs cleaning up.

Two locks, both re-entrant per process:

- the **writer lock** (:func:`writer_lock`), held by each step that writes: exclusive for the
  steps that build, audit or publish a month; shared for feed loads, which may run side by side
  (each feed-month has its own lock in the loader) but never during a build;
- the **run lock** (:func:`run_lock`), held by a whole ``fangpin run`` for all its months, so
  that a second ``fangpin run`` waits or stops at once instead of interleaving months. Its
  steps (which may run in other processes, as Airflow's tasks do) take the writer lock.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from fangpin.warehouse.connection import one_row

log = logging.getLogger(__name__)

#: pg_advisory_lock keys (two int4): "fangpin" and "writer" / "run".
LOCK_KEY = (74_210_000, 1)
RUN_LOCK_KEY = (74_210_000, 2)
#: How often a waiting writer asks again, and says who holds the lock.
POLL_SECONDS = 2.0
APPLICATION_NAME = "fangpin-writer"


class WarehouseBusy(RuntimeError):
    """Another writer holds the warehouse; the message says who, since when."""


@dataclass(frozen=True)
class Holder:
    pid: int
    application_name: str
    since: str
    client: str

    def describe(self) -> str:
        return (
            f"{self.application_name} (server pid {self.pid}, from {self.client}, "
            f"since {self.since})"
        )


_held = threading.local()


def current_holder(url: str, key: tuple[int, int] = LOCK_KEY) -> Holder | None:
    """Who holds a lock now, if anyone (from ``pg_locks`` and ``pg_stat_activity``)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            """
            select a.pid, coalesce(a.application_name, ''),
                   to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS'),
                   coalesce(host(a.client_addr), 'local')
            from pg_locks l join pg_stat_activity a on a.pid = l.pid
            where l.locktype = 'advisory' and l.granted
              and l.classid = %s and l.objid = %s and l.objsubid = 2
              and l.database = (select oid from pg_database where datname = current_database())
            limit 1
            """,
            key,
        ).fetchone()
    return Holder(*row) if row else None


@contextmanager
def writer_lock(
    url: str, who: str, wait_seconds: float | None = None, *, shared: bool = False
) -> Iterator[None]:
    """Hold the warehouse's writer lock for the block (``shared`` for feed loads).

    ``wait_seconds``: ``None`` waits as long as it takes, ``0`` fails at once, otherwise waits
    that long. Raises :class:`WarehouseBusy` naming the holder when it gives up.
    """
    with _advisory(url, who, wait_seconds, LOCK_KEY, shared):
        yield


@contextmanager
def run_lock(url: str, who: str, wait_seconds: float | None = 0) -> Iterator[None]:
    """Hold the run lock for a whole multi-month run; by default a second run stops at once."""
    with _advisory(url, who, wait_seconds, RUN_LOCK_KEY, False):
        yield


@contextmanager
def _advisory(
    url: str, who: str, wait_seconds: float | None, key: tuple[int, int], shared: bool
) -> Iterator[None]:
    held = getattr(_held, "held", None)
    if held is None:
        held = _held.held = {}
    slot = (url, key)
    if slot in held:  # re-entrant: an exclusive hold covers a shared request too
        held[slot] += 1
        try:
            yield
        finally:
            held[slot] -= 1
            if not held[slot]:
                del held[slot]
        return
    name = f"{APPLICATION_NAME}: {who} (pid {os.getpid()})"[:63]
    conn = psycopg.connect(url, autocommit=True, application_name=name)
    try:
        _acquire(conn, url, wait_seconds, key, shared)
        held[slot] = 1
        try:
            yield
        finally:
            held.pop(slot, None)
            unlock = "pg_advisory_unlock_shared" if shared else "pg_advisory_unlock"
            try:
                conn.execute(f"select {unlock}(%s, %s)", key)
            except psycopg.Error:  # the session is gone, and the lock with it
                pass
    finally:
        conn.close()


def _acquire(
    conn: psycopg.Connection, url: str, wait_seconds: float | None, key: tuple[int, int],
    shared: bool,
) -> None:
    deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
    try_lock = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
    announced = False
    while True:
        if one_row(conn.execute(f"select {try_lock}(%s, %s)", key))[0]:
            return
        holder = current_holder(url, key)
        who = holder.describe() if holder else "another writer"
        if deadline is not None and time.monotonic() >= deadline:
            raise WarehouseBusy(
                f"the warehouse is busy: {who} is writing to it; try again when it has finished"
            )
        if not announced:
            log.warning("waiting for the warehouse: %s is writing to it", who)
            announced = True
        time.sleep(POLL_SECONDS)
