-- Province figures the scorecard's counts give: the rectification rate and the wrong-exit rate
-- (错退率) of all counties together, and their numerators and denominators.
select sum(problems_rectified)::numeric / nullif(sum(problems_found), 0),
       sum(relapsed_eliminated_households)::numeric / nullif(sum(eliminated_households), 0),
       coalesce(sum(eliminated_households), 0),
       coalesce(sum(relapsed_eliminated_households), 0)
from marts.mart_county_scorecard
where month = %(month)s
