-- Per feed and month built (up to var('month')): the snapshot used, whether the feed was in
-- reach, and how many of its records link to the registered population, are unregistered, or
-- (registry members) are orphans.

{{ published_history('int_feed_linkage_month', [
    'month', 'feed', 'snapshot_month', 'latest_snapshot_month', 'snapshot_age_months', 'is_present',
    'records', 'linked_records', 'unregistered_records', 'orphan_records',
]) }}
