"""The quality gate: Great Expectations suites on raw loads, staging and the build.

``run_audit`` is what the DAG and ``fangpin audit`` call (``fangpin status`` is
``fangpin.pipeline.status``: it reads the loads and the publishes too, so it sits above them).
Great Expectations itself is imported only when an audit runs.
"""

from fangpin.audit.run import AuditOutcome, CheckResult, run_audit

__all__ = [
    "AuditOutcome",
    "CheckResult",
    "run_audit",
]
