{#
  The months this run computes, as a SQL list of date literals, for an incremental history model
  that filters a staging view by them: var('month') on an incremental run (the history keeps
  the other months), every month of int_month_context when the history is rebuilt. Literals let
  PostgreSQL push the filter below a staging view's deduplication (its window is partitioned by
  snapshot_month) and read those snapshots only, instead of every month ever delivered.
#}
{% macro run_months() -%}
    {%- if is_incremental() -%}
        {{ return(build_month()) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return('null') }}
    {%- endif -%}
    {%- set query = 'select month from ' ~ ref('int_month_context') ~ ' order by month' -%}
    {%- set months = run_query(query).columns[0].values() -%}
    {{ return(date_literals(months)) }}
{%- endmacro %}
