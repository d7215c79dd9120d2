-- Operational tables: what happened to every file, row, check and publish.

create table if not exists ops.load_history (
    load_id           bigserial primary key,
    feed              text        not null,
    month             date        not null,
    file_name         text        not null,
    file_path         text        not null,
    checksum          text        not null,          -- sha256 of the file's bytes
    file_format       text,                          -- csv-utf8, csv-utf8-bom, csv-gb18030, xlsx
    status            text        not null,          -- loading, loaded, skipped, rejected, superseded, failed
    rows_read         bigint,
    rows_loaded       bigint,
    rows_quarantined  bigint,
    unknown_columns   text[],
    error             text,
    arrived_at        timestamptz,                   -- when the file landed (its modification time)
    started_at        timestamptz not null default now(),
    finished_at       timestamptz,
    run_id            text
);
create index if not exists load_history_feed_month on ops.load_history (feed, month);
create index if not exists load_history_checksum on ops.load_history (feed, month, checksum);

create table if not exists ops.quarantine (
    quarantine_id  bigserial primary key,
    load_id        bigint      not null references ops.load_history (load_id),
    feed           text        not null,
    month          date        not null,
    file_name      text        not null,
    line_no        bigint      not null,             -- line of the CSV (header is 1) or row of the sheet
    reason         text        not null,             -- reason code, e.g. id_number_invalid
    detail         text,                             -- which column and value
    row_received   jsonb       not null,             -- the row as received, header -> cell text
    quarantined_at timestamptz not null default now()
);
create index if not exists quarantine_feed_month on ops.quarantine (feed, month);

create table if not exists ops.audit_result (
    audit_id       bigserial primary key,
    run_id         text        not null,
    month          date,
    suite          text        not null,
    check_name     text        not null,
    severity       text        not null,             -- blocking or warning
    passed         boolean     not null,
    observed_value text,
    sample_rows    jsonb,
    checked_at     timestamptz not null default now()
);
create index if not exists audit_result_run on ops.audit_result (run_id);

create table if not exists ops.publish_log (
    publish_id   bigserial primary key,
    month        date,
    run_id       text        not null,
    status       text        not null,               -- published, refused, rolled_back
    reason       text,
    logged_at    timestamptz not null default now()
);

-- One row per stage of a monthly run: what `fangpin run` and `fangpin status` report.
create table if not exists ops.run_log (
    run_log_id  bigserial primary key,
    run_id      text        not null,
    month       date        not null,
    stage       text        not null,                -- prepare, load:<feed>, transform, audit, publish
    status      text        not null,                -- started, succeeded, failed, rejected (a load)
    detail      text,
    logged_at   timestamptz not null default now()
);
create index if not exists run_log_run on ops.run_log (run_id);
