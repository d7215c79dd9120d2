{#
  The policy table in force (RULES.md "Policy parameters"): the bureau's own, imported by
  `fangpin policy import` into policy.<name>, when there is one; else the shipped seed.

  ref(name) is always called, so the model depends on the seed in dbt's graph (seeds build
  first) whether or not an import overrides it. Whether policy.<name> exists is asked when the
  model runs, so an import takes effect at the next build of a month.
#}
{% macro policy(name) -%}
    {%- set shipped = ref(name) -%}
    {%- if execute -%}
        {%- set imported = adapter.get_relation(
            database=shipped.database, schema='policy', identifier=name) -%}
        {%- if imported is not none -%}
            {{ return(imported) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(shipped) }}
{%- endmacro %}


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
