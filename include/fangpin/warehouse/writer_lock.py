"""One writer at a time: a warehouse-wide lock that PostgreSQL itself releases.

Everything that changes what a month is built from or what ``marts`` holds (a ``fangpin run``,
each building step of a DAG run, ``fangpin publish`` and its rollback) holds this lock while it
works. It is a *session* advisory lock on a connection of its own: when the holder dies
(``kill -9``, a lost worker, a stopped server) PostgreSQL drops the session and the lock with
it, so no stale lock row ever needs cleaning up.

The lock is re-entrant per process: a ``fangpin run`` that holds it can call steps that ask for
it again without deadlocking on itself.
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

log = logging.getLogger(__name__)

#: pg_advisory_lock key (two int4): "fangpin" and "writer".
LOCK_KEY = (74_210_000, 1)
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


def current_holder(url: str) -> Holder | None:
    """Who holds the writer lock now, if anyone (from ``pg_locks`` and ``pg_stat_activity``)."""
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
            """,
            LOCK_KEY,
        ).fetchone()
    return Holder(*row) if row else None


@contextmanager
def writer_lock(url: str, who: str, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold the warehouse's writer lock for the block.

    ``wait_seconds``: ``None`` waits as long as it takes, ``0`` fails at once, otherwise waits
    that long. Raises :class:`WarehouseBusy` naming the holder when it gives up.
    """
    depth = getattr(_held, "depth", {})
    if depth.get(url):
        depth[url] += 1
        try:
            yield
        finally:
            depth[url] -= 1
        return
    name = f"{APPLICATION_NAME}: {who} (pid {os.getpid()})"[:63]
    conn = psycopg.connect(url, autocommit=True, application_name=name)
    try:
        _acquire(conn, url, wait_seconds)
        _held.depth = {**depth, url: 1}
        try:
            yield
        finally:
            _held.depth[url] = 0
            try:
                conn.execute("select pg_advisory_unlock(%s, %s)", LOCK_KEY)
            except psycopg.Error:  # the session is gone, and the lock with it
                pass
    finally:
        conn.close()


def _acquire(conn: psycopg.Connection, url: str, wait_seconds: float | None) -> None:
    deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
    announced = False
    while True:
        got = conn.execute("select pg_try_advisory_lock(%s, %s)", LOCK_KEY).fetchone()[0]
        if got:
            return
        holder = current_holder(url)
        who = holder.describe() if holder else "another writer"
        if deadline is not None and time.monotonic() >= deadline:
            raise WarehouseBusy(
                f"the warehouse is busy: {who} is writing to it; try again when it has finished"
            )
        if not announced:
            log.warning("waiting for the warehouse: %s is writing to it", who)
            announced = True
        time.sleep(POLL_SECONDS)
