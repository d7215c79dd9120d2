"""What every run does first: clear away what runs that died left behind.

A run killed with ``kill -9`` (or whose worker or server died) cannot clean up after itself.
PostgreSQL drops its sessions, so its locks go and its open transactions roll back; what
stays is what it committed before it died:

- the audit's months in ``audit_batch`` (unlogged copies of id numbers and names, and views
  of raw and build tables, granted to nobody) when the audit was killed: dropped here, not
  only at the end of the next audit;
- ``started`` rows in ``ops.run_log`` that no end will ever follow: closed here with an
  ``abandoned`` row, so ``fangpin status`` and the stop messages never show a dead stage as
  running.

Call :func:`clear_dead_runs` holding the writer lock exclusively: then no live stage is open
(each stage holds the lock for as long as it is open, see ``fangpin.pipeline.monthly.stage``) and no
live audit owns ``audit_batch``.
"""

from __future__ import annotations

import logging
from importlib import resources

from fangpin.warehouse.connection import connect

log = logging.getLogger(__name__)


def query(name: str) -> str:
    """A SQL file of ``fangpin.pipeline.sql``."""
    return (resources.files("fangpin.pipeline.sql") / f"{name}.sql").read_text("utf-8")


def clear_dead_runs(url: str, noticed_by: str) -> list[str]:
    """Drop ``audit_batch`` and mark dead stages ``abandoned``; say which stages were dead."""
    with connect(url) as conn:
        conn.execute("drop schema if exists audit_batch cascade")
        rows = conn.execute(
            query("abandon_dead_stages"), {"noticed_by": noticed_by}
        ).fetchall()
    dead = [f"{month:%Y-%m} {stage} (run {run_id})" for run_id, month, stage in rows]
    if dead:
        log.warning("marked abandoned, their processes died: %s", "; ".join(dead))
    return dead
