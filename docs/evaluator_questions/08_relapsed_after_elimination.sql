-- Q8. Which households relapsed after their risk was eliminated (风险消除后返贫)?
-- 哪些农户风险消除后又出现返贫风险？
-- Households the registry marks `eliminated` that should be monitored again this month, with
-- when the risk was eliminated and the signals now present; they drive the wrong-exit rate.
-- Parameter: month (null = the latest published month).

with

params as (

    select cast(null as date) as month  -- e.g. date '2021-03-01'

),

target as (

    select coalesce(params.month, (select max(month) from marts.fct_household_month)) as month
    from params

),

final as (

    select
        f.month,
        f.county_code,
        d.county_name,
        d.is_key_county,
        f.household_id,
        f.village_code,
        f.head_id_masked,
        f.monitoring_status,
        f.eliminated_on,
        f.per_capita_net_income,
        f.relapse_after_elimination,
        concat_ws(
            ';',
            case when f.sig_income_low then 'INCOME_LOW' end,
            case when f.sig_edu_dropout then 'EDU_DROPOUT' end,
            case when f.sig_med_uninsured then 'MED_UNINSURED' end,
            case when f.sig_med_burden then 'MED_BURDEN' end,
            case when f.sig_house_unsafe then 'HOUSE_UNSAFE' end,
            case when f.sig_water_unsafe then 'WATER_UNSAFE' end,
            case when f.sig_disaster then 'DISASTER' end,
            case when f.sig_safety_net_gap then 'SAFETY_NET_GAP' end
        ) as monitoring_signals
    from marts.fct_household_month as f
    inner join target
        on target.month = f.month
    inner join marts.dim_county as d
        on d.county_code = f.county_code
    where f.relapse_after_elimination

)

select * from final
order by is_key_county desc, county_code, household_id
