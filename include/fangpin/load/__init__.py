"""Loading the landing area into ``raw``: COPY, ``ops.load_history``, ``ops.quarantine``.

``load_feed_month`` loads one feed's delivery for one month (the Airflow task calls it);
``discover`` says which months and feeds the landing area holds; ``ensure_raw_tables``
creates the raw tables from the feed contracts.
"""

from fangpin.feeds.read import FeedRejected
from fangpin.load.landing import LandingEntry, landing_report, record_landing_report
from fangpin.load.loader import (
    FeedLoadResult,
    FileLoadResult,
    Landing,
    discover,
    load_feed_month,
    scan_landing,
)
from fangpin.load.raw_tables import ensure_raw_tables

__all__ = [
    "FeedLoadResult",
    "FeedRejected",
    "FileLoadResult",
    "Landing",
    "LandingEntry",
    "discover",
    "ensure_raw_tables",
    "landing_report",
    "load_feed_month",
    "record_landing_report",
    "scan_landing",
]
