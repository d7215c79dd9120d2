{#
  The select list of a staging model's renamed step: the snapshot month, every contract column
  of `feed` cast to its raw type (feed_columns(), generated from the feed contracts), then the
  load metadata. `expressions` replaces a column's cast (an id made a pseudonym, a default);
  `name` becomes person_name, the name staging gives every person's name. A new contract column
  is staged without editing the model.
#}
{% macro staging_columns(feed, expressions={}) -%}
    {%- set items = ['cast(_snapshot_month as date) as snapshot_month'] -%}
    {%- for name, type in feed_columns()[feed] -%}
        {%- set cast = 'cast(' ~ name ~ ' as ' ~ type ~ ')' -%}
        {%- do items.append(expressions.get(name, cast) ~ ' as ' ~ staging_name(name)) -%}
    {%- endfor -%}
    {%- do items.extend([
        'cast(_load_id as bigint) as load_id',
        'cast(_source_file as text) as source_file',
        'cast(_source_line as bigint) as source_line',
    ]) -%}
    {{ items | join(',\n        ') }}
{%- endmacro %}
