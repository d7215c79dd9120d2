-- Q7. Which counties' medical insurance rate (参保率) dropped this month?
-- 哪些县本月医保参保率下降？
-- Counties whose medical_rate is lower than in the previous month, with the change in insured
-- members behind it. Parameter: month (null = the latest published month).

with

params as (

    select cast(null as date) as month  -- e.g. date '2021-03-01'

),

target as (

    select coalesce(params.month, (select max(month) from marts.mart_county_scorecard)) as month
    from params

),

final as (

    select
        cur.month,
        cur.county_code,
        cur.county_name,
        cur.city_name,
        cur.is_key_county,
        prev.medical_rate as previous_medical_rate,
        cur.medical_rate,
        cur.medical_rate - prev.medical_rate as medical_rate_change,
        cur.persons,
        prev.persons as previous_persons
    from marts.mart_county_scorecard as cur
    inner join target
        on target.month = cur.month
    inner join marts.mart_county_scorecard as prev
        on prev.county_code = cur.county_code
        and prev.month = cast(cur.month - interval '1 month' as date)
    where cur.medical_rate < prev.medical_rate

)

select * from final
order by medical_rate_change, county_code
