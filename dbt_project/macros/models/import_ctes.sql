{#
  The inputs of a model as import CTEs, one `name as (select * from relation)` each, in the
  order given: `with {{ import_ctes({'education': ref('int_education_month'), ...}) }} next as (`.
  The model still reads top to bottom (the inputs, one step per idea, final); the call lists
  its inputs in one place instead of a four-line CTE each. The names in `history_filtered` get
  history_filter(): a history model's input read for the months this run computes only.
#}
{% macro import_ctes(relations, history_filtered=[]) -%}
    {%- for name, relation in relations.items() %}
{{ name }} as (

    select * from {{ relation }}
    {%- if name in history_filtered %}
    {{ history_filter() }}
    {%- endif %}

),
{% endfor -%}
{%- endmacro %}
