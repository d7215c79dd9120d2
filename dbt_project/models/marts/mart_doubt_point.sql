-- Registry doubt points (疑点): one row per household, month and doubt code of
-- docs/contract/RULES.md, for every month built up to var('month'). None of them blocks a publish.
-- Read from the incremental history int_doubt_point_month.

{{ published_history('int_doubt_point_month', [
    'month', 'household_id', 'county_code', 'village_code', 'code',
]) }}
