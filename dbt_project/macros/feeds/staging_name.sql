{# What staging calls a contract column: its own name, but `name` is person_name. #}
{% macro staging_name(column) -%}
    {{ return('person_name' if column == 'name' else column) }}
{%- endmacro %}
