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

-- Whether a text is a valid 18-character id number: 17 digits and the ISO 7064 MOD 11-2
-- check character (a digit or X). The audit's id-number scan (fangpin.audit.id_scan) calls it
-- on every id-shaped token of every text column of the build.
create or replace function ops.id_number_valid(candidate text) returns boolean
language sql immutable parallel safe as $$
    select case
        when candidate is null or candidate !~ '^[0-9]{17}[0-9X]$' then false
        else substr('10X98765432', ((
              substr(candidate, 1, 1)::int * 7 + substr(candidate, 2, 1)::int * 9
            + substr(candidate, 3, 1)::int * 10 + substr(candidate, 4, 1)::int * 5
            + substr(candidate, 5, 1)::int * 8 + substr(candidate, 6, 1)::int * 4
            + substr(candidate, 7, 1)::int * 2 + substr(candidate, 8, 1)::int * 1
            + substr(candidate, 9, 1)::int * 6 + substr(candidate, 10, 1)::int * 3
            + substr(candidate, 11, 1)::int * 7 + substr(candidate, 12, 1)::int * 9
            + substr(candidate, 13, 1)::int * 10 + substr(candidate, 14, 1)::int * 5
            + substr(candidate, 15, 1)::int * 8 + substr(candidate, 16, 1)::int * 4
            + substr(candidate, 17, 1)::int * 2) % 11) + 1, 1) = substr(candidate, 18, 1)
    end
$$;

-- How many values of a text hold a valid id number as a token of their own (bounded by
-- anything but a letter or digit, so a hex pseudonym's digit run does not count).
create or replace function ops.id_numbers_in(value text) returns integer
language sql immutable parallel safe as $$
    select count(*)::integer
    from regexp_matches(value, '(?<![0-9A-Za-z])([0-9]{17}[0-9Xx])(?![0-9A-Za-z])', 'g') as m
    where ops.id_number_valid(upper(m[1]))
$$;
