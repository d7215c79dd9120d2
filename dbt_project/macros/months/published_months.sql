{# Every month the published marts hold (marts.dim_month), oldest first; [] before the first publish. #}
{% macro published_months() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set months_table = adapter.get_relation(
        database=target.database, schema=var('published_schema', 'marts'), identifier='dim_month') -%}
    {%- if months_table is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rows = run_query(
        'select month from ' ~ months_table ~ ' order by month').columns[0].values() -%}
    {{ return(rows | list) }}
{%- endmacro %}
