{#
  The columns of `feed`'s staging model, in order, as a select list (what staging_columns()
  names them): for the final step of a model that ranks its rows first. `derived` (name:
  expression) adds computed columns after the contract columns, before the load metadata.
#}
{% macro staging_column_names(feed, derived={}) -%}
    {%- set names = ['snapshot_month'] -%}
    {%- for name, type in feed_columns()[feed] -%}
        {%- do names.append(staging_name(name)) -%}
    {%- endfor -%}
    {%- for name, expression in derived.items() -%}
        {%- do names.append(expression ~ ' as ' ~ name) -%}
    {%- endfor -%}
    {%- do names.extend(['load_id', 'source_file', 'source_line']) -%}
    {{ names | join(',\n        ') }}
{%- endmacro %}
