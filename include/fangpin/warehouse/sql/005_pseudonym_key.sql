-- What the warehouse knows of its pseudonym key, never the key itself (fangpin.warehouse.
-- pseudonym_key): one row, written at the first setup.
--   warehouse_id  random; names the generated key's file, so two warehouses never share one
--   fingerprint   HMAC-SHA256 of a fixed label under the key: tells a right key from a wrong one
--   source        'generated' (kept in FANGPIN_SECRETS_DIR) or 'configured' (FANGPIN_PSEUDONYM_KEY)
-- ops is for the pipeline and data engineers: evaluators, BI logins and field teams get nothing.
create table if not exists ops.pseudonym_key (
    singleton     boolean     primary key default true check (singleton),
    warehouse_id  uuid        not null,
    fingerprint   text        not null,
    source        text        not null check (source in ('generated', 'configured')),
    recorded_at   timestamptz not null default now()
);
revoke all on ops.pseudonym_key from public;
