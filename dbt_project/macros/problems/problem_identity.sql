{#
  The columns that say which problem a ledger row is about, qualified by `relation`: its id, the
  household and where it lives (county, city, village, as when the problem was found), the code
  and the month it was found. Every kind of ledger row (carried over, found, open, closing)
  starts with them, in this order (int_problem_month).
#}
{% macro problem_identity(relation) -%}
    {%- for column in ['problem_id', 'household_id', 'county_code', 'city_code', 'village_code',
                       'code', 'found_month'] %}
        {{ relation }}.{{ column }},
    {%- endfor %}
{%- endmacro %}
