-- Stages that started and never ended belong to processes that died: the caller holds the
-- exclusive writer lock, and every stage holds that lock (shared or exclusive) from before it
-- records its start until after it records its end, so no live stage can be open now.
-- One 'abandoned' row closes each; %(noticed_by)s names the run that found them.
insert into ops.run_log (run_id, month, stage, status, detail)
select s.run_id, s.month, s.stage, 'abandoned',
       'started ' || to_char(s.logged_at, 'YYYY-MM-DD HH24:MI:SS')
       || ' and never ended: its process died; noticed by run ' || %(noticed_by)s
from ops.run_log as s
where s.status = 'started'
  and not exists (
      select 1
      from ops.run_log as e
      where e.run_id = s.run_id
        and e.month = s.month
        and e.stage = s.stage
        and e.status <> 'started'
        and e.run_log_id > s.run_log_id
  )
returning run_id, month, stage;
