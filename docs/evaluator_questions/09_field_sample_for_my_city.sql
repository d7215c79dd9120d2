-- Q9. Which households must my city's field team verify this month?
-- 本市评价组本月需实地核查哪些农户？
-- The field-verification sample of the key counties my city evaluates this year, missed
-- identifications first. Names are masked here; a field team reads the same rows with the
-- head's name from marts.mart_field_sample_contact (its own city's rows only).
-- Parameters: evaluating_city_code (null = the first city in code order that evaluates a key
-- county), month (null = the latest published month).

with

params as (

    select
        cast(null as text) as evaluating_city_code,  -- e.g. '1401'
        cast(null as date) as month                  -- e.g. date '2021-03-01'

),

target_month as (

    select coalesce(params.month, (select max(month) from marts.mart_field_sample)) as month
    from params

),

target as (

    select
        target_month.month,
        coalesce(
            params.evaluating_city_code,
            (
                select min(s.evaluating_city_code)
                from marts.mart_field_sample as s
                where s.month = target_month.month
            )
        ) as evaluating_city_code
    from target_month
    cross join params

),

final as (

    select
        s.month,
        s.evaluating_city_code,
        s.evaluating_city_name,
        s.county_code,
        s.county_name,
        s.sample_rank,
        s.reason,
        s.household_id,
        s.township_name,
        s.village_code,
        s.head_name_masked,
        s.head_id_masked,
        s.member_count,
        s.monitoring_status,
        s.signals_to_check
    from marts.mart_field_sample as s
    inner join target
        on target.month = s.month
        and target.evaluating_city_code = s.evaluating_city_code

)

select * from final
order by county_code, sample_rank
