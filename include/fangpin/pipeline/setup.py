"""A warehouse ready for a run: the warehouse layer's setup with the load layer's raw tables.

Here because it composes two layers: ``fangpin.warehouse.setup`` (schemas, ops tables, key,
roles) sits below ``fangpin.load``, whose raw tables are generated from the feed contracts
(``fangpin.load.raw_tables``). :func:`ensure_seeds` adds dbt's seeds, which ``fangpin policy``
needs before any month was built.
"""

from __future__ import annotations

import logging

from fangpin.load.raw_tables import ensure_raw_tables
from fangpin.warehouse.setup import setting_up

log = logging.getLogger(__name__)


def ensure_warehouse(url: str) -> None:
    """Create the database if needed, then apply every DDL file and the raw tables.

    Idempotent; every run, every stage's first step and ``fangpin policy`` call it. The raw
    tables are created in the setup's own transaction, before the roles' grants.
    """
    with setting_up(url) as conn:
        ensure_raw_tables(conn)


def ensure_seeds(url: str) -> None:
    """Load the shipped seeds into the warehouse if a policy table or the counties are missing.

    ``fangpin policy`` may run before any month was built; the defaults it shows and the
    counties it validates against are the warehouse's, so dbt loads them first.
    """
    from fangpin.policy import TABLES
    from fangpin.policy.store import LOCK_WAIT_SECONDS
    from fangpin.warehouse.connection import connect, one_row

    ensure_warehouse(url)
    present = "select to_regclass(%s) is not null"
    with connect(url) as conn:
        missing = [
            name for name in (*TABLES, "shanxi_counties")
            if not one_row(conn.execute(present, (f"seeds.{name}",)))[0]
        ]
    if missing:
        from fangpin.transform.dbt import run_dbt
        from fangpin.warehouse.writer_lock import writer_lock

        log.info("loading the shipped seeds (missing: %s)", ", ".join(missing))
        with writer_lock(url, "fangpin policy: dbt seed", wait_seconds=LOCK_WAIT_SECONDS):
            run_dbt(url, ["seed"])
