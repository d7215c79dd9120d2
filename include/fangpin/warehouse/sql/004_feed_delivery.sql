-- One row per (feed, month) that anything was attempted for: the raw material of
-- mart_feed_reporting (docs/contract/RULES.md, "Feed reporting"). Written by fangpin.load; see
-- docs/FEEDS_LOADING.md.
--   arrived_at        earliest modification time of the current delivery's files
--   first_loaded_at   when the feed-month was first loaded (any delivery, superseded ones too)
--   rows_*, files     of the current delivery (status 'loaded')
--   status            'loaded' when a delivery is current, else the last attempt's status
--                     ('rejected' or 'failed'): the feed was delivered but nothing usable is in
--   last_*            the latest attempt of any kind, e.g. a rejected re-delivery while an
--                     earlier delivery stays current
--   files_rejected    distinct files (by sha256) of the feed-month ever rejected
--   pending_rejection the error of the latest rejection when no delivery was taken (loaded,
--                     superseded or skipped) after it: the rejection still stands
create or replace view ops.feed_delivery as
with current_delivery as (
    select
        feed,
        month,
        min(arrived_at)       as arrived_at,
        sum(rows_read)::bigint        as rows_read,
        sum(rows_loaded)::bigint      as rows_loaded,
        sum(rows_quarantined)::bigint as rows_quarantined,
        count(*)              as files,
        min(finished_at)      as loaded_at
    from ops.load_history
    where status = 'loaded'
    group by feed, month
),

attempts as (
    select
        feed,
        month,
        min(started_at) filter (where status in ('loaded', 'superseded')) as first_loaded_at,
        min(arrived_at) as first_arrived_at,
        count(distinct checksum) filter (where status = 'rejected') as files_rejected,
        max(load_id) filter (where status = 'rejected') as last_rejected_id,
        max(load_id) filter (where status in ('loaded', 'superseded', 'skipped')) as last_taken_id
    from ops.load_history
    group by feed, month
),

last_attempt as (
    select distinct on (feed, month)
        feed,
        month,
        status     as last_status,
        started_at as last_attempt_at,
        error      as last_error
    from ops.load_history
    order by feed, month, load_id desc
)

select
    a.feed,
    a.month,
    c.arrived_at,
    a.first_loaded_at,
    c.rows_loaded,
    c.rows_quarantined,
    c.files,
    case when c.feed is not null then 'loaded' else l.last_status end as status,
    c.rows_read,
    c.loaded_at,
    a.first_arrived_at,
    l.last_status,
    l.last_attempt_at,
    l.last_error,
    a.files_rejected,
    r.error as pending_rejection
from attempts as a
left join current_delivery as c on c.feed = a.feed and c.month = a.month
left join last_attempt as l on l.feed = a.feed and l.month = a.month
left join ops.load_history as r
    on r.load_id = a.last_rejected_id
    and a.last_rejected_id > coalesce(a.last_taken_id, 0);
