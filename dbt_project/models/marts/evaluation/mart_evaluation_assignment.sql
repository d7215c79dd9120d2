{#
  Small inputs behind staging views and window filters make the planner expect a row or two
  and choose nested loops that re-run a staging view per row (seconds for a few hundred rows);
  JIT compiles such queries for longer than they run. Both are switched off for this model's
  transaction only: every join here is an equality join that hashes well at any size.
#}
{{ config(pre_hook=["set local enable_nestloop = off", "set local jit = off"]) }}

-- Cross-city evaluation assignment (市际交叉评价分配表): for every year with a built month, each key
-- assistance county is assigned one evaluating city that is not its own city, and the counts per
-- evaluating city (over all cities of the province) differ by at most one (docs/contract/RULES.md).
-- Reproducible from the year and evaluation_parameters.assignment_seed.
--
-- The deal, per year (k cities, n key counties):
--   1. order the cities by their number of key counties, most first, ties by md5(year, seed,
--      city): city_index 0 .. k-1 (cities without key counties come last);
--   2. order each city's key counties by md5(year, seed, county): county_round 0, 1, ...;
--   3. lay the counties out round by round (round r holds the r-th county of every city that
--      has more than r), cities in city_index order: position 0 .. n-1;
--   4. county at position p is evaluated by the city with index (p + shift) mod k.
-- Step 4 is a round robin over positions 0 .. n-1, so the counts per city differ by at most
-- one. Because cities are ordered by their count, round r holds exactly the cities 0 .. m_r - 1,
-- so the county of city j in round r sits at position start_r + j and is evaluated by
-- (start_r + j + shift) mod k, which is j itself only when (start_r + shift) mod k = 0: a
-- shift is valid when no round start hits that, and each round rules out one shift of k.
-- With fewer rounds than cities (no city has k key counties or more) a valid shift always
-- exists; the one taken is the first valid shift in md5(year, seed, shift) order.

with

parameters as (

    select cast(value as text) as assignment_seed
    from {{ ref('evaluation_parameters') }}
    where parameter = 'assignment_seed'

),

built_years as (

    select distinct cast(extract(year from month) as integer) as year
    from {{ ref('dim_month') }}

),

counties as (

    select * from {{ ref('dim_county') }}

),

cities as (

    select
        city_code,
        min(city_name) as city_name,
        count(*) filter (where is_key_county) as key_counties
    from counties
    group by city_code

),

city_count as (

    select count(*) as cities
    from cities

),

city_order as (

    select
        built_years.year,
        cities.city_code,
        cities.city_name,
        cities.key_counties,
        row_number() over (
            partition by built_years.year
            order by
                cities.key_counties desc,
                md5(concat_ws(':', built_years.year, parameters.assignment_seed, 'city', cities.city_code)),
                cities.city_code
        ) - 1 as city_index
    from built_years
    cross join cities
    cross join parameters

),

county_rounds as (

    select
        city_order.year,
        counties.county_code,
        counties.county_name,
        city_order.city_code,
        city_order.city_name,
        city_order.city_index,
        row_number() over (
            partition by city_order.year, city_order.city_code
            order by
                md5(concat_ws(':', city_order.year, parameters.assignment_seed, 'county', counties.county_code)),
                counties.county_code
        ) - 1 as county_round
    from counties
    inner join city_order
        on city_order.city_code = counties.city_code
    cross join parameters
    where counties.is_key_county

),

positions as (

    select
        *,
        row_number() over (
            partition by year
            order by county_round, city_index
        ) - 1 as deal_position
    from county_rounds

),

round_starts as (

    select
        year,
        county_round,
        min(deal_position) as round_start
    from positions
    group by year, county_round

),

valid_shifts as (

    select
        built_years.year,
        shift.shift
    from built_years
    cross join city_count
    cross join generate_series(0, city_count.cities - 1) as shift (shift)
    where not exists (
        select 1
        from round_starts
        where round_starts.year = built_years.year
            and (round_starts.round_start + shift.shift) % city_count.cities = 0
    )

),

chosen_shift as (

    select distinct on (valid_shifts.year)
        valid_shifts.year,
        valid_shifts.shift
    from valid_shifts
    cross join parameters
    order by
        valid_shifts.year,
        md5(concat_ws(':', valid_shifts.year, parameters.assignment_seed, 'shift', valid_shifts.shift))

),

assigned as (

    select
        positions.year,
        positions.county_code,
        positions.county_name,
        positions.city_code,
        positions.city_name,
        positions.deal_position,
        evaluators.city_code as evaluating_city_code,
        evaluators.city_name as evaluating_city_name
    from positions
    cross join city_count
    left join chosen_shift
        on chosen_shift.year = positions.year
    left join city_order as evaluators
        on evaluators.year = positions.year
        and evaluators.city_index = (positions.deal_position + chosen_shift.shift) % city_count.cities

),

evaluator_loads as (

    select
        year,
        evaluating_city_code,
        count(*) as counties_evaluated
    from assigned
    group by year, evaluating_city_code

),

final as (

    select
        assigned.year,
        assigned.county_code,
        assigned.county_name,
        assigned.city_code,
        assigned.city_name,
        assigned.evaluating_city_code,
        assigned.evaluating_city_name,
        evaluator_loads.counties_evaluated as evaluating_city_counties,
        case
            when previous_year.county_code is not null
                then assigned.evaluating_city_code <> previous_year.evaluating_city_code
        end as evaluator_changed,
        previous_year.evaluating_city_code as previous_evaluating_city_code
    from assigned
    left join evaluator_loads
        on evaluator_loads.year = assigned.year
        and evaluator_loads.evaluating_city_code = assigned.evaluating_city_code
    left join assigned as previous_year
        on previous_year.county_code = assigned.county_code
        and previous_year.year = assigned.year - 1

)

select * from final
