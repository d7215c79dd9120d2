-- docs/contract/RULES.md "Cross-city evaluation": a key county is never evaluated by its own city,
-- and every key county is assigned in every year of the assignment. Returns the offending rows.

with

assignment as (

    select * from {{ ref('mart_evaluation_assignment') }}

),

counties as (

    select * from {{ ref('dim_county') }}

),

own_city as (

    select
        assignment.year,
        assignment.county_code,
        'evaluated by its own city ' || assignment.evaluating_city_code as problem
    from assignment
    inner join counties
        on counties.county_code = assignment.county_code
    where assignment.evaluating_city_code = counties.city_code

),

unassigned as (

    select
        years.year,
        counties.county_code,
        'key county without an evaluating city' as problem
    from (select distinct year from assignment) as years
    cross join counties
    where counties.is_key_county
        and not exists (
            select 1
            from assignment
            where assignment.year = years.year
                and assignment.county_code = counties.county_code
                and assignment.evaluating_city_code is not null
        )

),

final as (

    select * from own_city
    union all
    select * from unassigned

)

select * from final
