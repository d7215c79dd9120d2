-- Per feed and month: the checksums of the current delivery (status 'loaded') and when it was
-- loaded, and the checksums of every file ever rejected for that feed-month (the same bytes
-- would be rejected again: a rejected file left in the landing area changes nothing).
select feed, month,
       coalesce(array_agg(checksum order by checksum) filter (where status = 'loaded'),
                '{}') as current_checksums,
       max(finished_at) filter (where status = 'loaded') as loaded_at,
       coalesce(array_agg(distinct checksum) filter (where status = 'rejected'),
                '{}') as rejected_checksums
from ops.load_history
group by feed, month;
