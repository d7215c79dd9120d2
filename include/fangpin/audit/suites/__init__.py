"""Every audit suite, declared: where each table's gate is read, check by check, with its severity.

- ``raw``: ``raw.<feed>`` (each delivery as loaded) and ``raw.load_history`` (the month's files).
- ``staging``: ``staging.<feed>``, the month's snapshot checked against the feed contract.
- ``marts``: one module per published table, ``marts/<table>.py`` declaring ``marts.<table>``.

Suite names are ``<layer>.<table or feed>``; one suite is one batch. The Great Expectations
files under ``expectations/expectations/<layer>/<table>.json`` are generated from these
declarations by ``python -m fangpin.audit.suites`` (``make suites``) and committed; a test
fails when they differ. The audit reads the files and refuses to run a suite whose file is
missing or differs (``fangpin.audit.gx_project.stale_suites``). Nothing here imports Great
Expectations.
"""

from __future__ import annotations

from fangpin.audit.checks import SuiteSpec
from fangpin.audit.suites import marts, raw, staging


def all_suites() -> tuple[SuiteSpec, ...]:
    """Every suite, in the order they run: raw, staging, then marts (dimensions first)."""
    return (*raw.suites(), *staging.suites(), *marts.suites())
