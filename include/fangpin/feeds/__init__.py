"""The departmental feeds: contracts as data, reading files, normalising values.

``contracts`` declares the eight feeds; ``read`` opens their files (encoding, header, rows);
``normalise`` holds the value rules; ``rows`` compiles them into the loader's fast path.
"""

from fangpin.feeds.contracts import FEED_NAMES, FEEDS, Column, Feed, Kind
from fangpin.feeds.read import FeedRejected

__all__ = ["FEEDS", "FEED_NAMES", "Column", "Feed", "FeedRejected", "Kind"]
