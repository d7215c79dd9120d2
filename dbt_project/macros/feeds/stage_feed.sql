{#
  A whole staging model for `feed` (docs/contract/FEEDS.md): its raw table, every contract column
  cast to its raw type under its staging name (staging_columns(), from the feed contracts), and,
  where the feed keeps one row per key, the deduplication.

  `one_per`: the key columns a snapshot keeps one row for (the snapshot month is always part of
  the key); none keeps every row. `order_by`: which row of a key wins, before the tie-break every
  feed shares, the row delivered last (highest load, then file name, then line).
  `expressions` replaces a column's cast (see staging_columns()); `derived` adds computed
  columns, as name: expression, after the contract columns and before the load metadata.
#}
{% macro stage_feed(feed, one_per=none, order_by=[], expressions={}, derived={}) -%}
with

source as (

    select * from {{ source('raw', feed) }}

),

renamed as (

    select
        {{ staging_columns(feed, expressions) }}
    from source

),
{%- if one_per %}

ranked as (

    select
        *,
        row_number() over (
            partition by snapshot_month, {{ one_per | join(', ') }}
            order by
                {%- for key in order_by %}
                {{ key }},
                {%- endfor %}
                load_id desc,
                source_file desc,
                source_line desc
        ) as delivery_rank
    from renamed

),
{%- endif %}

final as (

    select
        {{ staging_column_names(feed, derived) }}
    from {{ 'ranked' if one_per else 'renamed' }}
    {%- if one_per %}
    where delivery_rank = 1
    {%- endif %}

)

select * from final
{%- endmacro %}
