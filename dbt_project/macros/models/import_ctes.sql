{#
  The inputs of a model as import CTEs, one `name as (select * from relation)` each, in the
  order given: `with {{ import_ctes({'education': ref('int_education_month'), ...}) }} next as (`.
  The model still reads top to bottom (the inputs, one step per idea, final); the call lists
  its inputs in one place instead of a four-line CTE each.
#}
{% macro import_ctes(relations) -%}
    {%- for name, relation in relations.items() %}
{{ name }} as (

    select * from {{ relation }}

),
{% endfor -%}
{%- endmacro %}
