{#
  The columns of `feed`'s staging model, in order, as a select list (what staging_columns()
  names them): for the final step of a model that ranks its rows first. `derived` (name:
  expression) adds computed columns after the contract columns, before the load metadata.
#}
{% macro staging_column_names(feed, derived={}) -%}
    {%- set items = ['snapshot_month', feed_column_names(feed)] -%}
    {%- for name, expression in derived.items() -%}
        {%- do items.append(expression ~ ' as ' ~ name) -%}
    {%- endfor -%}
    {%- do items.extend(['load_id', 'source_file', 'source_line']) -%}
    {{ items | join(',\n        ') }}
{%- endmacro %}
