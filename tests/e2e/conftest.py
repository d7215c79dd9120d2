"""A generated province built and published end to end without Airflow, shared by the e2e tests.

The evaluation tests (access, RLS, the evaluator questions, the HTML report) need real published
marts but not the orchestration, which ``test_monthly_pipeline`` covers: calling the steps
directly (synth → ensure_warehouse → load → dbt build → audit → publish) takes a few minutes
instead of Airflow's overhead per task. Two publishes happen (February, then March), so the
grants and row-level security are checked after a swap that replaced earlier marts.

dbt's target and log folders go to the test's temporary folder: other people's dbt runs in the
same checkout keep their own, and the tests read the compiled SQL of the evaluation models from
there to re-run them with other seeds and parameters.

For iterating on these tests: ``FANGPIN_E2E_KEEP=<folder>`` builds the province there once, keeps
its database, and reuses both on later runs (delete the folder and drop the database named in
its ``state.json`` when done). Unset, every session builds afresh and drops what it made.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

MONTHS = [date(2021, 1, 1), date(2021, 2, 1), date(2021, 3, 1)]
#: Published one after the other; the last is what ``marts`` holds.
PUBLISHED_MONTHS = MONTHS[-2:]
HOUSEHOLDS = 600
SEED = 23


@dataclass
class EvaluationProvince:
    """A database with the generated province published, and where its pieces are."""

    url: str
    landing: Path
    dbt_target: Path
    months: list[date]
    timings: dict[str, float] = field(default_factory=dict)

    def compiled(self, model: str, folder: str = "marts/evaluation") -> str:
        """The SQL dbt ran for a model of ``folder`` (ephemeral models inlined)."""
        path = (
            self.dbt_target / "compiled" / "fangpin" / "models" / folder / f"{model}.sql"
        )
        return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def evaluation_province(
    server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EvaluationProvince]:
    from fangpin.audit import run_audit
    from fangpin.config import expectations_dir
    from fangpin.load import discover, load_feed_month
    from fangpin.pipeline.setup import ensure_warehouse
    from fangpin.publish import publish
    from fangpin.synth import write_province
    from fangpin.transform.dbt import dbt_build
    from fangpin.warehouse.connection import drop_database, ensure_database, with_database

    keep = os.environ.get("FANGPIN_E2E_KEEP")
    root = Path(keep) if keep else tmp_path_factory.mktemp("evaluation")
    state = root / "state.json"
    if keep and state.exists():
        saved = json.loads(state.read_text())
        yield EvaluationProvince(saved["url"], root / "landing", root / "dbt-target",
                                 list(MONTHS), saved["timings"])
        return
    root.mkdir(parents=True, exist_ok=True)
    landing, target = root / "landing", root / "dbt-target"
    gx_dir = root / "gx"
    shutil.copytree(expectations_dir(), gx_dir)
    url = with_database(server_url, f"fangpin_eval_{uuid.uuid4().hex[:10]}")
    province = EvaluationProvince(url, landing, target, list(MONTHS))
    clock = time.perf_counter

    def timed(name: str, started: float) -> None:
        province.timings[name] = round(clock() - started, 1)

    with pytest.MonkeyPatch.context() as env:
        env.setenv("DBT_TARGET_PATH", str(target))
        env.setenv("DBT_LOG_PATH", str(root / "dbt-logs"))
        started = clock()
        write_province(landing, households=HOUSEHOLDS, months=MONTHS, seed=SEED, messy=0.05)
        timed("synth", started)
        ensure_database(url)
        try:
            started = clock()
            ensure_warehouse(url)
            timed("ensure_warehouse", started)
            started = clock()
            for month, feeds in discover(landing).items():
                for feed in feeds:
                    load_feed_month(url, landing, month, feed, run_id=f"eval-{month:%Y%m}")
            timed("load", started)
            for month in MONTHS:
                started = clock()
                dbt_build(url, month)
                timed(f"dbt_build {month:%Y-%m}", started)
                # Every month is audited (a publish refuses a build adding an unaudited
                # month); January's build is published with February's.
                run_id = f"eval-{month:%Y%m}"
                started = clock()
                outcome = run_audit(url, month, run_id, gx_dir=gx_dir, docs=False)
                timed(f"audit {month:%Y-%m}", started)
                assert outcome.passed, str(outcome)
                if month in PUBLISHED_MONTHS:
                    started = clock()
                    publish(url, month, run_id)
                    timed(f"publish {month:%Y-%m}", started)
        except BaseException:
            drop_database(url)
            raise
    if keep:
        state.write_text(json.dumps({"url": url, "timings": province.timings}))
    yield province
    if not keep:
        drop_database(url)
