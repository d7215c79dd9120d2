-- Q3. How many problems are still open per city, and of which kind?
-- 各市尚未整改的问题有多少？分别是哪类问题？
-- Open problems of the problem ledger (问题排查整改台账) per prefecture-level city, with how
-- long the oldest has been open and a count per problem code.

with

latest as (

    select max(month) as month from marts.fct_household_month

),

open_problems as (

    select
        d.city_code,
        d.city_name,
        p.code,
        p.found_month
    from marts.fct_problem as p
    inner join marts.dim_county as d
        on d.county_code = p.county_code
    where p.outcome = 'open'

),

final as (

    select
        o.city_code,
        max(o.city_name) as city_name,
        count(*) as open_problems,
        count(*) filter (where o.code = 'EDU_DROPOUT') as edu_dropout,
        count(*) filter (where o.code = 'MED_UNINSURED') as med_uninsured,
        count(*) filter (where o.code = 'HOUSE_UNSAFE') as house_unsafe,
        count(*) filter (where o.code = 'WATER_UNSAFE') as water_unsafe,
        count(*) filter (where o.code = 'DISASTER') as disaster,
        count(*) filter (where o.code = 'SAFETY_NET_GAP') as safety_net_gap,
        min(o.found_month) as oldest_found_month,
        max(
            (extract(year from latest.month) - extract(year from o.found_month)) * 12
            + extract(month from latest.month) - extract(month from o.found_month)
        )::integer as oldest_open_months
    from open_problems as o
    cross join latest
    group by o.city_code

)

select * from final
order by open_problems desc, city_code
