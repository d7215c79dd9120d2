-- What the loader reads and what it does not take (issue 12; docs/FEEDS_LOADING.md).
--
-- Line accounting of a loaded file: physical_lines = header_lines + record_lines + blank_lines,
-- where record_lines are the lines of the rows_read records (rows_loaded + rows_quarantined;
-- a record with a quoted line break takes several, a record set aside as unbalanced_quote
-- only its first) and blank_lines those of blank records. For an XLSX: sheet rows up to the
-- last non-empty one.
alter table ops.load_history add column if not exists physical_lines bigint;
alter table ops.load_history add column if not exists header_lines bigint;
alter table ops.load_history add column if not exists record_lines bigint;
alter table ops.load_history add column if not exists blank_lines bigint;
-- status 'duplicate': the file has the same bytes as duplicate_of (a file name of the same
-- feed-month), which was loaded instead; its rows are not loaded twice.
alter table ops.load_history add column if not exists duplicate_of text;

-- Entries of the landing area the loader did not take, one row per entry per run that
-- looked (fangpin.load.landing_report / record_landing_report): an unknown or misnamed
-- feed folder, a malformed month folder, an unknown file type, an empty or header-only
-- file, a symlink or a path leaving the landing area, a duplicate file.
create table if not exists ops.landing_issue (
    issue_id   bigserial primary key,
    run_id     text,
    month      date,                              -- null when not inside a valid month folder
    feed       text,                              -- null when not inside a known feed folder
    path       text        not null,              -- relative to the landing area
    reason     text        not null,              -- e.g. unknown_feed_folder, symlink
    severity   text        not null,              -- refused (not loaded) or warning (loaded, but note it)
    hint       text,                              -- what was probably meant
    found_at   timestamptz not null default now()
);
create index if not exists landing_issue_month on ops.landing_issue (month);
