-- Q6. How has the rectification rate (问题整改率) moved month by month?
-- 问题整改率逐月变化趋势如何？
-- Province and key-county totals per month: problems found from January of the year to the
-- month, rectified by the month, the rate and its change on the previous month.

with

monthly as (

    select
        month,
        sum(problems_found) as problems_found,
        sum(problems_rectified) as problems_rectified,
        sum(problems_found) filter (where is_key_county) as key_problems_found,
        sum(problems_rectified) filter (where is_key_county) as key_problems_rectified
    from marts.mart_county_scorecard
    group by month

),

rates as (

    select
        month,
        problems_found,
        problems_rectified,
        round(problems_rectified / nullif(problems_found, 0), 4) as rectification_rate,
        key_problems_found,
        key_problems_rectified,
        round(key_problems_rectified / nullif(key_problems_found, 0), 4)
            as key_rectification_rate
    from monthly

),

final as (

    select
        rates.*,
        rates.rectification_rate - lag(rates.rectification_rate) over (order by rates.month)
            as rectification_rate_change
    from rates

)

select * from final
order by month
