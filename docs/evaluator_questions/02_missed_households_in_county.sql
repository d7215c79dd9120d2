-- Q2. Which households were missed (应纳未纳) in county X this month?
-- X县本月有哪些应纳未纳的农户？
-- Households that should be monitored (a signal of docs/contract/RULES.md) but are not at risk in
-- the registry, with the signals that make them so. Masked head id only: contact details are for
-- the field teams (marts.mart_field_sample_contact).
-- Parameters: county_code (null = the county with most missed households that month),
-- month (null = the latest published month).

with

params as (

    select
        cast(null as text) as county_code,  -- e.g. '140425'
        cast(null as date) as month          -- e.g. date '2021-03-01'

),

target_month as (

    select coalesce(params.month, (select max(month) from marts.fct_household_month)) as month
    from params

),

target as (

    select
        target_month.month,
        coalesce(
            params.county_code,
            (
                select f.county_code
                from marts.fct_household_month as f
                where f.month = target_month.month and f.missed_identification
                group by f.county_code
                order by count(*) desc, f.county_code
                limit 1
            )
        ) as county_code
    from target_month
    cross join params

),

final as (

    select
        f.month,
        f.county_code,
        d.county_name,
        f.household_id,
        f.village_code,
        f.head_id_masked,
        f.member_count,
        f.household_type,
        f.monitoring_type,
        f.monitoring_status,
        f.per_capita_net_income,
        f.missed_identification,
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
        and target.county_code = f.county_code
    inner join marts.dim_county as d
        on d.county_code = f.county_code
    where f.missed_identification

)

select * from final
order by village_code, household_id
