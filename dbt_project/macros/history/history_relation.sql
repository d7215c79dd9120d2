{# The relation of a history model as it stands in the warehouse (none before its first run). #}
{% macro history_relation(name=none) -%}
    {{ return(adapter.get_relation(
        database=target.database,
        schema=generate_schema_name('intermediate', none),
        identifier=name or history_models()[0]
    )) }}
{%- endmacro %}
