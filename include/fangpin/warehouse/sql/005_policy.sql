-- The bureau's own policy data (fangpin.policy, docs/RULES_READING.md "Policy data").
--   policy             one table per imported policy table, named as its dbt seed; the dbt models
--                      read policy.<name> in preference to seeds.<name> (macros/policy/policy.sql)
--   ops.policy_import  every import tried: when, which file (name and sha256), taken or rejected
create schema if not exists policy;

create table if not exists ops.policy_import (
    import_id    bigserial primary key,
    policy       text        not null,               -- the table: key_counties, scorecard_weights, ...
    file_name    text        not null,
    checksum     text        not null,               -- sha256 of the file's bytes
    row_count    integer,
    status       text        not null,               -- imported, rejected, reset
    error        text,
    imported_by  text        not null default current_user,
    imported_at  timestamptz not null default now()
);
create index if not exists policy_import_policy on ops.policy_import (policy, import_id);
