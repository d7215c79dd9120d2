-- Q4. Which counties have a wrong-exit rate (错退率) over 2% this month?
-- 哪些县本月错退率超过2%？
-- wrong_exit_rate = eliminated households that relapsed (should be monitored again) ÷
-- eliminated households; evaluators hold it under 2%. Key counties first.
-- Parameter: month (null = the latest published month).

with

params as (

    select
        cast(null as date) as month,      -- e.g. date '2021-03-01'
        cast(0.02 as numeric) as limit_rate

),

target as (

    select
        coalesce(params.month, (select max(month) from marts.mart_county_scorecard)) as month,
        params.limit_rate
    from params

),

final as (

    select
        s.month,
        s.county_code,
        s.county_name,
        s.city_name,
        s.is_key_county,
        s.eliminated_households,
        s.relapsed_eliminated_households,
        s.wrong_exit_rate,
        prev.wrong_exit_rate as previous_wrong_exit_rate
    from marts.mart_county_scorecard as s
    inner join target
        on target.month = s.month
    left join marts.mart_county_scorecard as prev
        on prev.county_code = s.county_code
        and prev.month = cast(s.month - interval '1 month' as date)
    where s.wrong_exit_rate > target.limit_rate

)

select * from final
order by is_key_county desc, wrong_exit_rate desc, county_code
