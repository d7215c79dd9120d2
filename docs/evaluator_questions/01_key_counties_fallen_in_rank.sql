-- Q1. Which key counties fell in rank this month, and why?
-- 哪些重点帮扶县本月排名下降？原因是什么？
-- For every key county whose rank is worse than last month: its ranks, its score change, and
-- the rate whose change cost it the most score points (rate change × weight × 100; the weights
-- are those of docs/contract/RULES.md, education … identification 0.15, rectification 0.10).
-- Parameter: month (null = the latest published month).

with

params as (

    select cast(null as date) as month  -- e.g. date '2021-03-01'

),

target as (

    select coalesce(params.month, (select max(month) from marts.mart_county_scorecard)) as month
    from params

),

scorecard as (

    select s.*
    from marts.mart_county_scorecard as s
    where s.is_key_county

),

fallen as (

    select
        cur.month,
        cur.county_code,
        cur.county_name,
        cur.city_name,
        prev.key_rank as previous_rank,
        cur.key_rank,
        cur.key_rank - prev.key_rank as places_lost,
        prev.score as previous_score,
        cur.score,
        cur.score - prev.score as score_change,
        cur.education_rate - prev.education_rate as education_change,
        cur.medical_rate - prev.medical_rate as medical_change,
        cur.housing_rate - prev.housing_rate as housing_change,
        cur.water_rate - prev.water_rate as water_change,
        cur.employment_rate - prev.employment_rate as employment_change,
        cur.identification_rate - prev.identification_rate as identification_change,
        cur.rectification_rate - prev.rectification_rate as rectification_change
    from scorecard as cur
    inner join target
        on target.month = cur.month
    inner join scorecard as prev
        on prev.county_code = cur.county_code
        and prev.month = cast(cur.month - interval '1 month' as date)
    where cur.key_rank > prev.key_rank

),

rate_effects as (

    select
        fallen.county_code,
        effect.rate,
        effect.points
    from fallen
    cross join lateral (
        values
            ('education', 15 * fallen.education_change),
            ('medical', 15 * fallen.medical_change),
            ('housing', 15 * fallen.housing_change),
            ('water', 15 * fallen.water_change),
            ('employment', 15 * fallen.employment_change),
            ('identification', 15 * fallen.identification_change),
            ('rectification', 10 * fallen.rectification_change)
    ) as effect (rate, points)
    where effect.points is not null

),

main_cause as (

    select distinct on (county_code)
        county_code,
        rate as main_cause_rate,
        round(points, 2) as main_cause_points
    from rate_effects
    order by county_code, points asc, rate

),

final as (

    select
        fallen.*,
        case
            when main_cause.main_cause_points < 0 then main_cause.main_cause_rate
            else 'others rose more'
        end as main_cause,
        main_cause.main_cause_points
    from fallen
    left join main_cause
        on main_cause.county_code = fallen.county_code

)

select * from final
order by places_lost desc, county_code
