{#
  The contract columns of `feed` in order, under their staging names (staging_name()), as a
  select list: what a model passes on of a feed's rows, without the load metadata.
#}
{% macro feed_column_names(feed) -%}
    {%- set names = [] -%}
    {%- for name, type in feed_columns()[feed] -%}
        {%- do names.append(staging_name(name)) -%}
    {%- endfor -%}
    {{ names | join(',\n        ') }}
{%- endmacro %}
