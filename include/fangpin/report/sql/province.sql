-- The province (全省: every registered household) for the month, from the household facts:
-- counts, six of the seven rates (the rectification rate comes from the scorecard), and the
-- income median with the scorecard's definition (the mean of the two middle values).
select
    count(*),
    coalesce(sum(member_count), 0),
    count(*) filter (where missed_identification),
    sum(compulsory_age_in_school)::numeric / nullif(sum(compulsory_age_members), 0),
    case when bool_and(medical_present)
         then sum(insured_members)::numeric / nullif(sum(member_count), 0) end,
    avg(case when housing_ok then 1.0 else 0.0 end),
    avg(case when water_ok then 1.0 else 0.0 end),
    sum(working_age_labour_employed)::numeric / nullif(sum(working_age_labour), 0),
    1 - avg(case when missed_identification then 1.0 else 0.0 end)
from marts.fct_household_month
where month = %(month)s
