{# Full years between a birth date and a day: age at `period_end`, docs/contract/RULES.md "Time". #}
{% macro age_in_years(birth_date, on_date) -%}
    cast(extract(year from age({{ on_date }}, {{ birth_date }})) as integer)
{%- endmacro %}
