{#
  Dates as SQL date literals joined by ', ' ('null' when there are none): a filter written with
  literals lets PostgreSQL push it below a staging view's deduplication and use the BRIN index
  on the month, which a subquery does not.
#}
{% macro date_literals(values) -%}
    {%- set literals = [] -%}
    {%- for value in values -%}
        {%- do literals.append("cast('" ~ value ~ "' as date)") -%}
    {%- endfor -%}
    {{ return(literals | join(', ') if literals else 'null') }}
{%- endmacro %}
