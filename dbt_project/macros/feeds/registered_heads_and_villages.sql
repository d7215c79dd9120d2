{#
  Two populations of feed_population() as CTEs, from `households` (a CTE with month,
  head_id_number and village_code): registered_heads (the heads' id numbers, the units of the
  housing feed) and registered_villages (the villages with registered households, the units of
  the water feed), one row per month and unit.
#}
{% macro registered_heads_and_villages(households) -%}
registered_heads as (

    select distinct month, head_id_number
    from {{ households }}

),

registered_villages as (

    select distinct month, village_code
    from {{ households }}

),
{%- endmacro %}
