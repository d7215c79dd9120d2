{#
  The key assistance counties in force for each month of `months_relation` (a relation or CTE
  with a `month` column): the list of the month's year, or, for a year not set, of the latest
  year that is; a month before the first year set uses the earliest (as the thresholds do).
  Columns: month, county_code.
#}
{% macro key_counties_by_month(months_relation) -%}
    select distinct
        list_months.month,
        cast(lists.county_code as text) as county_code
    from (
        select
            months.month,
            coalesce(
                max(years.year) filter (where years.year <= extract(year from months.month)),
                min(years.year)
            ) as list_year
        from (select distinct month from {{ months_relation }}) as months
        cross join (select distinct cast(year as integer) as year from {{ policy('key_counties') }}) as years
        group by months.month
    ) as list_months
    inner join {{ policy('key_counties') }} as lists
        on cast(lists.year as integer) = list_months.list_year
{%- endmacro %}
