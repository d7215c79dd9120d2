{# The months after var('month') that the published marts hold (in_built_or_published). #}
{% macro later_published_months() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set published = var('published_schema', 'marts') -%}
    {#- Not a loop: a Jinja `set` inside a for loop does not outlive the loop. -#}
    {%- set months_table = adapter.get_relation(
        database=target.database, schema=published, identifier='dim_month') -%}
    {%- if months_table is none -%}
        {%- set months_table = adapter.get_relation(
            database=target.database, schema=published, identifier='fct_household_month') -%}
    {%- endif -%}
    {%- if months_table is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rows = run_query(
        'select distinct month from ' ~ months_table ~ ' where month > ' ~ build_month()
        ~ ' order by month').columns[0].values() -%}
    {{ return(rows | list) }}
{%- endmacro %}
