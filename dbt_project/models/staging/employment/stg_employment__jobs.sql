-- Labour and employment (人社厅 脱贫劳动力务工就业): every row counts (several jobs per person
-- are several rows), so nothing is deduplicated.

{{ stage_feed('employment') }}
