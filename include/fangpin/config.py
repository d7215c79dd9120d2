"""Where things are: the project folder, the warehouse URL, the pseudonym key's source.

Everything that differs between a laptop, CI and a production deployment is read from the
environment here, so the rest of the code never looks at ``os.environ`` itself.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout that holds ``pyproject.toml``; overridable for installed deployments."""
    env = os.environ.get("FANGPIN_HOME")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "dbt_project").exists():
            return parent
    return Path.cwd()


def dbt_project_dir() -> Path:
    return project_root() / "dbt_project"


def expectations_dir() -> Path:
    return project_root() / "expectations"


def dags_dir() -> Path:
    return project_root() / "dags"


def airflow_home() -> Path:
    """Airflow's home lives inside the project so that nothing leaks into ``~/airflow``."""
    return Path(os.environ.get("AIRFLOW_HOME") or project_root() / ".airflow")


def configured_warehouse_url() -> str | None:
    """The external warehouse, when the operator names one; ``None`` means embedded."""
    url = os.environ.get("WAREHOUSE_URL", "").strip()
    return url or None


def is_deployed() -> bool:
    """Whether this process is part of a deployment (``FANGPIN_DEPLOYED=1``): an Airflow
    component or a task it runs, which must use the configured warehouse and nothing else."""
    return os.environ.get("FANGPIN_DEPLOYED", "").strip().lower() in ("1", "true", "yes")


def configured_pseudonym_key() -> str | None:
    """The pseudonym key the operator configured, or ``None``: then the warehouse's own is used.

    ``FANGPIN_PSEUDONYM_KEY`` holds the key itself; ``FANGPIN_PSEUDONYM_KEY_FILE`` names a file
    that holds it (a Docker or Kubernetes secret mounted into every worker). No default ships
    with the source: a key anyone can read is no key (``fangpin.warehouse.pseudonym_key``).
    """
    key = os.environ.get("FANGPIN_PSEUDONYM_KEY", "")
    if key:
        return key
    path = os.environ.get("FANGPIN_PSEUDONYM_KEY_FILE", "").strip()
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return None


def secrets_dir() -> Path:
    """Where the warehouse's own secrets live when none is configured: ``FANGPIN_SECRETS_DIR``.

    Outside the database and outside every folder the pipeline writes logs or artefacts to;
    the default is ``.secrets/`` in the project (git-ignored, mode 0700).
    """
    return Path(os.environ.get("FANGPIN_SECRETS_DIR") or project_root() / ".secrets")


def batch_work_mem() -> str:
    """``work_mem`` of the pipeline's own batch sessions (dbt, the audit): ``FANGPIN_WORK_MEM``.

    A server's default (4 MB on a stock PostgreSQL) makes every sort of a province-scale month
    spill to disk; the pipeline's sessions are few (dbt's two threads, one audit) on a machine
    with memory to spare, so they ask for more for themselves without touching the server's
    setting for evaluators and BI tools. Empty: the server's own.
    """
    return os.environ.get("FANGPIN_WORK_MEM", "256MB").strip()

