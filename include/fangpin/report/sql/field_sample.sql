-- The field-verification sample (实地核查样本) of the month per key county, as counts only:
-- no household, village or name leaves the mart. signals_to_check is split into its codes.
with sample as (
    select county_code, household_id, reason, sampled_previous_month, signals_to_check
    from marts.mart_field_sample
    where month = %(month)s
),
signals as (
    select county_code, code, count(*) as households
    from sample
    cross join lateral unnest(string_to_array(signals_to_check, ';')) as code
    group by county_code, code
)
select s.county_code,
       count(*) as households,
       count(*) filter (where s.reason = 'missed_identification') as missed,
       count(*) filter (where s.reason = 'random') as random,
       count(*) filter (where s.sampled_previous_month) as sampled_before,
       count(*) filter (where s.signals_to_check is not null) as with_signals,
       (select string_agg(g.code || ' ' || g.households, '; '
                          order by g.households desc, g.code)
        from signals g where g.county_code = s.county_code) as signals
from sample s
group by s.county_code
order by s.county_code
