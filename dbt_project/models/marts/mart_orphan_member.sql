-- Registry members whose household is not among the month's households (orphans), per month
-- built up to var('month'). Pseudonymised: no id numbers or names.

{{ published_history('int_orphan_member_month', [
    'month', 'member_snapshot_month', 'household_id', 'person_key', 'relation',
]) }}
