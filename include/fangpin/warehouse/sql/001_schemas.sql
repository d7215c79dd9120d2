create extension if not exists pgcrypto;  -- hmac() for the keyed person pseudonyms

-- Schemas of the warehouse. Who may read which is in roles.sql.
--   raw          the loader's COPY target: one table per feed, every delivery kept by load_id
--   ops          load history, quarantine, audit results, publish log (data engineers)
--   seeds        dbt seeds: geography, policy parameters, weights
--   staging      dbt staging views (rename, cast, deduplicate)
--   intermediate dbt intermediate models, the incremental household-month history
--   marts_build  the build being audited; swapped into marts by the publish
--   marts        the published marts (evaluators, BI tools); changes only by a publish
--   marts_partitions  the month partitions of marts.fct_household_month (one table a month);
--                readers see them only through marts, and only the publish attaches or detaches
create schema if not exists raw;
create schema if not exists ops;
create schema if not exists seeds;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
create schema if not exists marts_partitions;
