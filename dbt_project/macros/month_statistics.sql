{#
  Post-hook of the marts: fresh planner statistics, and statistics on the year and month of
  a `month` column. The audit (Great Expectations) reads a month of a mart as
  `where extract(year from month) = … and extract(month from month) = …`; without statistics on
  those expressions the planner guesses one row and nests loops (54 s instead of about one
  for fct_household_month's uniqueness check at 10k households).
#}
{% macro analyze_with_month_statistics() -%}
    {%- if execute and this.identifier is not none -%}
        {%- set names = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
        {%- if 'month' in names -%}
            create statistics if not exists {{ this.schema }}.{{ this.identifier ~ '_month_parts' }}
                on (extract(year from month)), (extract(month from month)) from {{ this }};
        {%- endif -%}
    {%- endif %}
    analyze {{ this }}
{%- endmacro %}
