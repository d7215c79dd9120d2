-- The key counties of the month, in rank order: the scorecard's row, the county's open
-- problems at the month's end, its evaluating city, and its income median in the year's first
-- published month (the within-year growth, as evaluator question 10 computes it).
-- {rates} is the seven rate columns.
with year_start as (
    select min(month) as month
    from marts.mart_county_scorecard
    where month >= cast(date_trunc('year', %(month)s::date) as date) and month < %(month)s
),
open_problems as (
    select county_code, count(*) as open_problems
    from marts.fct_problem
    where found_month <= %(month)s
      and (closed_month is null or closed_month > %(month)s)
    group by county_code
)
select s.county_code, coalesce(s.county_name, d.county_name), coalesce(s.city_name, d.city_name),
       s.key_rank, s.key_rank_change, s.score, s.score_change, s.households,
       s.missed_identifications, coalesce(o.open_problems, 0), a.evaluating_city_name,
       s.eliminated_households, s.relapsed_eliminated_households, s.wrong_exit_rate,
       s.income_median, s.income_growth, ys.month, ys_s.income_median,
       {rates}
from marts.mart_county_scorecard s
join marts.dim_county d on d.county_code = s.county_code
left join open_problems o on o.county_code = s.county_code
left join year_start ys on true
left join marts.mart_county_scorecard ys_s
       on ys_s.county_code = s.county_code and ys_s.month = ys.month
left join marts.mart_evaluation_assignment a
       on a.county_code = s.county_code and a.year = extract(year from s.month)
where s.month = %(month)s and d.is_key_county
order by s.key_rank nulls last, s.county_code
