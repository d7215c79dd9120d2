-- Re-runs and dead runs (docs/ARCHITECTURE.md, "Reruns, faults and one writer at a time").

-- One id per audit: Airflow's Clear re-runs the audit under the same run_id, and the publish
-- relies on the latest attempt's checks only (fangpin.publish.swap).
alter table ops.audit_result add column if not exists attempt text;

-- ops.run_log statuses: started, succeeded, failed, and abandoned - written for a stage that
-- started and never ended, when the next run that holds the writer lock starts: its process
-- died (kill -9, a lost worker, a stopped server). detail names the run that noticed.
create index if not exists run_log_open on ops.run_log (run_id, month, stage, run_log_id);
