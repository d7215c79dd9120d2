{#
  Which months this run computes.

  The household-month history lives in incremental models (int_household_month and its
  siblings). A normal run computes var('month') only and replaces exactly that month. When the
  history has to be rebuilt - a --full-refresh, or a history model that does not exist yet -
  the run computes var('month') together with every month the history already holds, so a full
  refresh gives the same rows as building those months one by one (with the raw data of now).
  A brand-new warehouse therefore starts with the month asked for, nothing before it.
#}
{% macro history_models() -%}
    {{ return([
        'int_household_month', 'int_feed_linkage_month', 'int_orphan_member_month',
        'int_feed_coverage_month', 'int_feed_target_month', 'int_field_sample_draw',
        'int_field_sample_head', 'int_doubt_point_month',
    ]) }}
{%- endmacro %}


{# The relation of a history model as it stands in the warehouse (none before its first run). #}
{% macro history_relation(name=none) -%}
    {{ return(adapter.get_relation(
        database=target.database,
        schema=generate_schema_name('intermediate', none),
        identifier=name or history_models()[0]
    )) }}
{%- endmacro %}


{% macro rebuild_history() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if flags.FULL_REFRESH -%}
        {{ return(true) }}
    {%- endif -%}
    {%- for name in history_models() -%}
        {%- if history_relation(name) is none -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}


{#
  The filter a history model puts on its input: on an incremental run only var('month') is
  inserted (delete+insert on month replaces exactly that month); when the history is rebuilt,
  every month its inputs hold.
#}
{% macro history_filter(month_column='month') -%}
    {%- if is_incremental() -%}
        where {{ month_column }} = {{ build_month() }}
    {%- endif -%}
{%- endmacro %}


{#
  Config of the incremental history models. delete+insert first deletes the months it
  replaces, `where month in (select distinct month from <new rows>)`: without more, PostgreSQL
  reads the whole history to find them. The predicate below names var('month') as a literal
  (an incremental run only ever inserts that month, see history_filter), and the BRIN index
  on month (history_month_index, a post-hook) lets the delete read that month's pages only,
  so replacing a month costs what the month holds, not what the history holds.
#}
{% macro history_predicates() -%}
    {{ return(["DBT_INTERNAL_DEST.month = " ~ build_month()]) }}
{%- endmacro %}


{# Unnamed, and looked up by table: a full refresh renames the old table aside, index and all. #}
{% macro history_month_index() -%}
    do $$
    begin
        if not exists (
            select 1 from pg_indexes
            where schemaname = '{{ this.schema }}' and tablename = '{{ this.identifier }}'
                and indexdef like '%USING brin (month)%'
        ) then
            create index on {{ this }} using brin (month);
        end if;
    end
    $$
{%- endmacro %}


{#
  Pre-hook of the incremental history models: delete+insert deletes only the months that its
  new rows hold, so a month that now has no rows (no doubt point, no sampled household, where
  a previous build of it had some) would keep its old rows. Deleting var('month') first makes
  a rebuild replace the month whatever it now holds.
#}
{% macro history_clear_month() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where month = {{ build_month() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
