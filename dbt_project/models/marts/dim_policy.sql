-- The policy in force (政策参数表), readable by evaluators: one row per parameter and year, the
-- value the models read for that year, with its unit and meaning (English and Chinese) and
-- where it comes from (the shipped seed or the bureau's import, macros/policy.sql).
--
-- The values are read from the very tables the rules read (policy('<name>'), the same macro
-- as every model), never typed here: policy_parameters (ages, ratios, sample size, due day,
-- feed age), monitoring_thresholds and dibao_standards (by year), scorecard_weights, the
-- key_counties list (its size; the counties are marts.dim_county.is_key_county) and the
-- evaluation seeds and time zone (evaluation_parameters). The meanings come from the seed
-- policy_meanings.
--
-- Years: every year of a month the marts hold (is_marts_year) and every year a year-keyed
-- table sets. A year-keyed value follows the rule of docs/contract/RULES.md "Policy
-- parameters": a year not set takes the latest year set before it, a year before the first the
-- earliest (set_for_year says which year's row applies). The other parameters hold for every
-- year (set_for_year null).

{%- set importable = [
    'policy_parameters', 'monitoring_thresholds', 'dibao_standards', 'scorecard_weights',
    'key_counties',
] %}

with

marts_years as (

    select distinct cast(extract(year from month) as integer) as year
    from {{ ref('dim_month') }}

),

policy_sources as (

    select policy_table, source
    from (
        values
            {%- for name in importable %}
            {%- set relation = policy(name) %}
            ('{{ name }}', '{{ "imported" if relation.schema == "policy" else "seed" }}'),
            {%- endfor %}
            ('evaluation_parameters', 'seed')
    ) as source_list (policy_table, source)

),

imports as (

    select policy as policy_table, max(imported_at) as imported_at
    from {{ source('ops', 'policy_import') }}
    where status = 'imported'
    group by policy

),

meanings as (

    select * from {{ ref('policy_meanings') }}

),

-- Parameters of the tables keyed by year: one row per year set.
year_keyed as (
    {% for table, parameter in [
        ('monitoring_thresholds', 'monitoring_threshold'), ('dibao_standards', 'dibao_standard'),
    ] %}
    select
        '{{ table }}' as policy_table,
        '{{ parameter }}' as parameter,
        cast(year as integer) as set_for_year,
        cast(yuan as numeric) as value,
        cast(null as text) as unit
    from {{ policy(table) }}

    union all
    {% endfor %}
    select
        'key_counties' as policy_table,
        'key_county_count' as parameter,
        cast(year as integer) as set_for_year,
        cast(count(distinct county_code) as numeric) as value,
        cast(null as text) as unit
    from {{ policy('key_counties') }}
    group by year

),

years as (

    select year from marts_years
    union
    select set_for_year from year_keyed

),

year_keyed_choices as (

    select
        years.year,
        year_keyed.policy_table,
        year_keyed.parameter,
        year_keyed.set_for_year,
        year_keyed.value,
        year_keyed.unit,
        {{ year_choice_rank('years.year, year_keyed.parameter', 'years.year', 'year_keyed.set_for_year') }}
            as choice_rank
    from years
    cross join year_keyed

),

-- Parameters that hold for every year.
every_year as (

    select
        'policy_parameters' as policy_table,
        cast(parameter as text) as parameter,
        cast(value as numeric) as value,
        cast(value as text) as value_text,
        nullif(cast(unit as text), '') as unit
    from {{ policy('policy_parameters') }}

    union all

    select
        'scorecard_weights' as policy_table,
        'score_weight_' || cast(rate as text) as parameter,
        cast(weight as numeric) as value,
        cast(weight as text) as value_text,
        cast(null as text) as unit
    from {{ policy('scorecard_weights') }}

    union all

    select
        'evaluation_parameters' as policy_table,
        cast(parameter as text) as parameter,
        case
            when cast(value as text) ~ '^-?[0-9]+([.][0-9]+)?$' then cast(cast(value as text) as numeric)
        end as value,
        cast(value as text) as value_text,
        cast(null as text) as unit
    from {{ ref('evaluation_parameters') }}

),

in_force as (

    select
        year,
        policy_table,
        parameter,
        set_for_year,
        value,
        cast(value as text) as value_text,
        unit
    from year_keyed_choices
    where choice_rank = 1

    union all

    select
        years.year,
        every_year.policy_table,
        every_year.parameter,
        cast(null as integer) as set_for_year,
        every_year.value,
        every_year.value_text,
        every_year.unit
    from years
    cross join every_year

),

final as (

    select
        in_force.year,
        in_force.parameter,
        in_force.value,
        in_force.value_text,
        coalesce(in_force.unit, cast(meanings.unit as text)) as unit,
        cast(meanings.meaning_en as text) as meaning_en,
        cast(meanings.meaning_zh as text) as meaning_zh,
        in_force.set_for_year,
        in_force.policy_table,
        policy_sources.source,
        case when policy_sources.source = 'imported' then imports.imported_at end as imported_at,
        in_force.year in (select marts_years.year from marts_years) as is_marts_year
    from in_force
    inner join policy_sources
        on policy_sources.policy_table = in_force.policy_table
    left join imports
        on imports.policy_table = in_force.policy_table
    left join meanings
        on meanings.parameter = in_force.parameter

)

select * from final
