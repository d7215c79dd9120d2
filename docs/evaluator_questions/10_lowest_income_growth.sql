-- Q10. Which key counties have the lowest income growth?
-- 哪些重点帮扶县农村居民人均纯收入增长最慢？
-- Median per-capita net income of registered households and its growth on the same month a
-- year before (income_growth, null until a year of history is built), with the change since
-- the first built month of the year as a within-year view. The ten lowest, year-on-year first.
-- Parameter: month (null = the latest published month).

with

params as (

    select cast(null as date) as month  -- e.g. date '2021-03-01'

),

target as (

    select coalesce(params.month, (select max(month) from marts.mart_county_scorecard)) as month
    from params

),

year_start as (

    select
        s.county_code,
        s.income_median,
        s.month
    from marts.mart_county_scorecard as s
    inner join target
        on s.month = (
            select min(first.month)
            from marts.mart_county_scorecard as first
            where first.month >= cast(date_trunc('year', target.month) as date)
        )

),

final as (

    select
        s.month,
        s.county_code,
        s.county_name,
        s.city_name,
        s.income_median,
        s.income_growth,
        year_start.month as year_start_month,
        round(s.income_median / nullif(year_start.income_median, 0) - 1, 4)
            as growth_since_year_start,
        s.key_rank
    from marts.mart_county_scorecard as s
    inner join target
        on target.month = s.month
    left join year_start
        on year_start.county_code = s.county_code
    where s.is_key_county

)

select * from final
order by income_growth nulls last, growth_since_year_start nulls last, county_code
limit 10
