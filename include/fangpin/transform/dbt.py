"""Run dbt for one month against a warehouse URL.

dbt is called in a child process through its own CLI: its logging and global state stay out
of the Airflow worker, and a failing model surfaces as a non-zero exit with dbt's own message.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fangpin.config import dbt_project_dir
from fangpin.faults import fault_point
from fangpin.warehouse.connection import dbt_env

_PR_SET_PDEATHSIG = 1
log = logging.getLogger("fangpin.transform.dbt")


class DbtFailed(RuntimeError):
    """dbt exited non-zero; the message carries the tail of its output."""


@dataclass(frozen=True)
class DbtResult:
    command: list[str]
    output: str
    #: The folder dbt wrote ``run_results.json`` to.
    target: Path | None = None

    def summary(self) -> dict:
        """What the build did, from dbt's own ``run_results.json``: seeds and models built,
        tests passed, and the tests that warned or failed by name (JSON-safe, an XCom)."""
        path = self.target / "run_results.json" if self.target else None
        if path is None or not path.exists():
            return {}
        results = json.loads(path.read_text(encoding="utf-8")).get("results", [])

        def of(kind: str, *statuses: str) -> list[str]:
            return sorted(
                r["unique_id"].split(".")[2] for r in results
                if r["unique_id"].split(".")[0] == kind and r["status"] in statuses
            )

        return {
            "seeds": len(of("seed", "success")),
            "models": len(of("model", "success")),
            "tests_passed": len(of("test", "pass")) + len(of("unit_test", "pass")),
            "tests_warned": of("test", "warn"),
            "tests_failed": of("test", "fail", "error") + of("unit_test", "fail", "error"),
        }


def dbt_executable() -> str:
    """The ``dbt`` beside the running interpreter, so the project's venv is always used."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_folders(month: date | None, run_id: str) -> tuple[Path, Path]:
    """A run's own dbt target and log folders: ``target/runs/<month>/<run>`` and ``logs/…``.

    Two runs (two months of a backfill, a rerun beside a scheduled run, two workers sharing
    the checkout) never write each other's ``manifest.json``, compiled SQL or ``dbt.log``.
    """
    project = dbt_project_dir()
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)[:120]
    sub = Path("runs") / (f"{month:%Y-%m}" if month else "any") / slug
    return project / "target" / sub, project / "logs" / sub


def run_dbt(
    url: str,
    args: list[str],
    month: date | None = None,
    extra_vars: dict | None = None,
    run_id: str | None = None,
) -> DbtResult:
    """Run one dbt command with the warehouse connection and the month as vars.

    With ``run_id``, dbt writes into the run's own folders (:func:`run_folders`) unless the
    caller chose folders itself (``DBT_TARGET_PATH`` / ``DBT_LOG_PATH``, as tests and the
    benchmark do).
    """
    project = dbt_project_dir()
    vars_: dict[str, str] = dict(extra_vars or {})
    if month is not None:
        vars_["month"] = month.isoformat()
    if os.environ.get("FANGPIN_PUBLISH_ALL_MONTHS", "") not in ("", "0"):
        # fct_household_month built with every month, for a publish that replaces the whole
        # partitioned table (after an upgrade changed its columns: fangpin.publish.partitions).
        vars_["publish_all_months"] = "true"
    cmd = [dbt_executable(), *args, "--project-dir", str(project), "--profiles-dir", str(project)]
    target_env = os.environ.get("DBT_TARGET_PATH")
    target = Path(target_env) if target_env else project / "target"
    if run_id is not None:
        target, logs = run_folders(month, run_id)
        if target_env:
            target = Path(target_env)
        else:
            cmd += ["--target-path", str(target)]
        if not os.environ.get("DBT_LOG_PATH"):
            cmd += ["--log-path", str(logs)]
    if vars_:
        cmd += ["--vars", _yaml_inline(vars_)]
    env = {**os.environ, **dbt_env(url), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.setdefault("DBT_LOG_PATH", str(project / "logs"))
    proc = subprocess.Popen(
        cmd, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=_die_with_parent,
    )
    fault_point("transform")  # tests kill here: dbt is building
    output, _ = proc.communicate()
    # dbt's own lines: into the task log (and ``fangpin run``'s log file), not the terminal
    log.info("dbt %s (exit %s):\n%s", " ".join(args), proc.returncode, output.rstrip())
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-40:])
        raise DbtFailed(f"dbt {' '.join(args)} failed (exit {proc.returncode}):\n{tail}")
    return DbtResult(cmd, output, target if target.is_absolute() else project / target)


def dbt_build(
    url: str, month: date, select: str | None = None, full_refresh: bool = False,
    run_id: str | None = None,
) -> DbtResult:
    """Seed, run and test every model for ``month`` in one invocation.

    ``run_id`` is recorded with the month in ``marts.dim_month`` (which run last built it).
    dbt's unit tests (``unit_tests:`` beside the models) are left out: they test the SQL on
    fixed rows, not the month's data, and added 3-7 s to a month's 10 s build (a back-fill
    pays that per month); tests/db/test_dbt_unit_tests.py runs them.
    """
    args = ["build", "--exclude-resource-type", "unit_test"]
    if select:
        args += ["--select", select]
    if full_refresh:
        args.append("--full-refresh")
    return run_dbt(
        url, args, month=month, extra_vars={"run_id": run_id} if run_id else None,
        run_id=run_id,
    )


def _die_with_parent() -> None:
    """In the dbt child, before exec: die when the process that started it dies.

    A ``fangpin run`` or Airflow task killed with ``kill -9`` cannot stop its children; a dbt
    left running would go on building ``marts_build`` under the next run's feet (``relation
    already exists``). Linux's PR_SET_PDEATHSIG has the kernel kill the child instead.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _yaml_inline(values: dict) -> str:
    inner = ", ".join(f"{k}: '{v}'" for k, v in values.items())
    return "{" + inner + "}"
