{#
  A problem's id, `household_id-CODE-YYYYMM` of the month it was found (docs/RULES_READING.md):
  stable across rebuilds, so a problem keeps its id from the month it is found to the month it
  closes. Arguments are SQL expressions of `relation`: the household, the code, the found month.
#}
{% macro problem_key(relation, found_month) -%}
    {{ relation }}.household_id || '-' || {{ relation }}.code || '-'
    || to_char({{ relation }}.{{ found_month }}, 'YYYYMM')
{%- endmacro %}
