"""The quality gate: Great Expectations suites on raw loads, staging and the build.

``run_audit`` is what the DAG and ``fangpin audit`` call; ``status`` feeds ``fangpin status``.
Great Expectations itself is imported only when an audit runs.
"""

from fangpin.audit.run import AuditOutcome, CheckResult, run_audit
from fangpin.audit.status import StatusReport, StatusRow, status

__all__ = [
    "AuditOutcome",
    "CheckResult",
    "StatusReport",
    "StatusRow",
    "run_audit",
    "status",
]
