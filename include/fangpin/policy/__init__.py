"""The bureau's policy data: key counties, thresholds, standards, weights and parameters.

``catalog`` declares each table and what a valid import is; ``store`` says which table is in
force in the warehouse, imports and exports them. ``fangpin policy`` is the command.
"""

from fangpin.policy.catalog import TABLES, PolicyInvalid
from fangpin.policy.store import (
    export_policy,
    import_policy,
    in_force,
    parameter,
    read_rows,
    reset_policy,
)

__all__ = [
    "TABLES",
    "PolicyInvalid",
    "export_policy",
    "import_policy",
    "in_force",
    "parameter",
    "read_rows",
    "reset_policy",
]
