{#
  Custom schema names are used as they are (staging, intermediate, marts_build, seeds) rather
  than prefixed with the target schema: the warehouse's schemas are a published contract.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
