{#
  The columns of `feed`'s staging model, in order, as a select list (what staging_columns()
  names them): for the final step of a model that ranks its rows first.
#}
{% macro staging_column_names(feed) -%}
    {%- set names = ['snapshot_month'] -%}
    {%- for name, type in feed_columns()[feed] -%}
        {%- do names.append(staging_name(name)) -%}
    {%- endfor -%}
    {%- do names.extend(['load_id', 'source_file', 'source_line']) -%}
    {{ names | join(',\n        ') }}
{%- endmacro %}
