{#
  A pass-through mart: `columns` of the incremental history `history_model`, for the months a
  marts build holds (in_built_or_published()). The mart adds nothing to the history; it is the
  published copy, rebuilt in full on every run because the marts schema is swapped on publish.
#}
{% macro published_history(history_model, columns) -%}
with

history as (

    select * from {{ ref(history_model) }}
    where {{ in_built_or_published() }}

),

final as (

    select
        {{ columns | join(',\n        ') }}
    from history

)

select * from final
{%- endmacro %}
