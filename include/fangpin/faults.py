"""Fault points: named places where a test can stop a run, to kill it there.

The fault suite (``tests/faults``) must hit each stage of a run deterministically - in the
middle of a feed's load transaction, while dbt builds, half way through the audit, between
the two renames of the publish - with real PostgreSQL, dbt, GX and Airflow, no mocks. A
fault point is a no-op unless ``FANGPIN_FAULT_POINT`` names it; then the process writes the
file ``FANGPIN_FAULT_FILE`` (so the test knows it has arrived) and sleeps there, holding
whatever it holds, until the test kills it (or ``FANGPIN_FAULT_SLEEP`` seconds pass).

Points: ``load`` (inside a feed-month's load transaction, raw rows replaced), ``transform``
(dbt running), ``audit`` (copies in ``audit_batch``, checks under way), ``publish`` (the
publish stage, before its transaction), ``swap`` (``marts`` renamed to ``marts_prev``, the
build not yet renamed to ``marts``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

POINTS = ("load", "transform", "audit", "publish", "swap")


def fault_point(name: str) -> None:
    """Stop here when the environment asks for this point; otherwise do nothing."""
    if os.environ.get("FANGPIN_FAULT_POINT") != name:
        return
    marker = os.environ.get("FANGPIN_FAULT_FILE")
    if marker:
        Path(marker).write_text(f"{name} {os.getpid()}\n", encoding="utf-8")
    time.sleep(float(os.environ.get("FANGPIN_FAULT_SLEEP", "600")))
