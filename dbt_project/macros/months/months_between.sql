{# Whole months from `earlier` to `later` (both dates), e.g. 2021-01-01 → 2021-03-01 is 2. #}
{% macro months_between(later, earlier) -%}
    cast(
        (extract(year from {{ later }}) - extract(year from {{ earlier }})) * 12
        + extract(month from {{ later }}) - extract(month from {{ earlier }})
        as integer
    )
{%- endmacro %}
