"""Publishing: the audited build becomes ``marts`` in one atomic schema swap.

``publish`` (after a passing audit), ``refuse`` (after a failing one), ``rollback`` (the
previous marts back, one command). See ``fangpin.publish.swap`` for what readers see.
"""

from fangpin.publish.swap import (
    PublishError,
    PublishOutcome,
    PublishRefused,
    publish,
    published_state,
    refuse,
    rollback,
)

__all__ = [
    "PublishError",
    "PublishOutcome",
    "PublishRefused",
    "publish",
    "published_state",
    "refuse",
    "rollback",
]
