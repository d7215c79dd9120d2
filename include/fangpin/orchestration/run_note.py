"""A note on the Airflow DAG run, where a data engineer looks first (the run's page in the UI).

Airflow 3's Task SDK gives a task no call to annotate its own run (the execution API sets a
note only when a run is triggered; the ORM is closed to task processes), and the REST API
needs a user's token. So the task writes the note row itself, with plain SQL on the metadata
database the deployment configured (``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN``, which Fangpin's
own Airflow environment sets: ``fangpin.orchestration.airflow_env``). One statement, an
upsert that appends to the run's note, so concurrent load tasks of one run each add their line
and none overwrites another's. A note is a courtesy: when there is no metadata database to
reach (a worker without its URL) or anything fails, it is logged and the task goes on; the
rejection stays in the task log, ``ops.load_history`` and ``ops.run_log``.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

#: Airflow's dag_run_note.content is String(1000).
NOTE_LIMIT = 1000

_APPEND = """
    insert into dag_run_note (dag_run_id, content, user_id, created_at, updated_at)
    select id, left(%(line)s, %(limit)s), null, now(), now()
    from dag_run where dag_id = %(dag_id)s and run_id = %(run_id)s
    on conflict (dag_run_id) do update
    set content = left(
            case
                when coalesce(dag_run_note.content, '') = '' then excluded.content
                when position(excluded.content in dag_run_note.content) > 0
                    then dag_run_note.content
                else dag_run_note.content || E'\\n' || excluded.content
            end,
            %(limit)s),
        updated_at = now()
"""


def metadata_libpq_url() -> str | None:
    """The metadata database as a libpq URL, when it is a PostgreSQL one we can reach."""
    url = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "") or _configured_metadata_url()
    for prefix in ("postgresql+psycopg2://", "postgresql+psycopg://", "postgresql://",
                   "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return None


def _configured_metadata_url() -> str:
    """Airflow's own setting when it is not in the environment (the generated airflow.cfg)."""
    try:
        from airflow.configuration import conf

        return conf.get("database", "sql_alchemy_conn", fallback="") or ""
    except Exception:  # noqa: BLE001 - a note is a courtesy; no configuration, no note
        return ""


def add_run_note(dag_id: str, run_id: str, line: str) -> bool:
    """Append ``line`` to the DAG run's note; False (and a log line) when it could not be set."""
    url = metadata_libpq_url()
    if url is None:
        log.warning("no PostgreSQL metadata database configured: run note not set (%s)", line)
        return False
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=10) as conn:
            conn.execute(_APPEND, {"line": line, "limit": NOTE_LIMIT, "dag_id": dag_id,
                                   "run_id": run_id})
    except Exception:  # noqa: BLE001 - a note must never fail the task it annotates
        log.warning("could not set the note of run %s of %s", run_id, dag_id, exc_info=True)
        return False
    return True


def run_note(dag_id: str, run_id: str) -> str | None:
    """The DAG run's note (for ``fangpin run`` and the tests), None when there is none."""
    url = metadata_libpq_url()
    if url is None:
        return None
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute(
            "select n.content from dag_run_note n join dag_run r on r.id = n.dag_run_id"
            " where r.dag_id = %s and r.run_id = %s",
            (dag_id, run_id),
        ).fetchone()
    return row[0] if row else None
