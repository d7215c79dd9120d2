-- docs/contract/RULES.md "Cross-city evaluation": the number of key counties per evaluating city
-- differs by at most one across the province's cities (a city evaluating none counts as 0). Returns
-- the years where it does not.

with

assignment as (

    select * from {{ ref('mart_evaluation_assignment') }}

),

cities as (

    select distinct city_code from {{ ref('dim_county') }}

),

loads as (

    select
        years.year,
        cities.city_code,
        count(assignment.county_code) as counties
    from (select distinct year from assignment) as years
    cross join cities
    -- AL04 takes the subquery's own `from assignment` above for a second alias.
    left join assignment  -- noqa: AL04
        on assignment.year = years.year
        and assignment.evaluating_city_code = cities.city_code
    group by years.year, cities.city_code

),

final as (

    select
        year,
        min(counties) as fewest,
        max(counties) as most
    from loads
    group by year
    having max(counties) - min(counties) > 1

)

select * from final
