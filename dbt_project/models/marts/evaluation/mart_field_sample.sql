{#
  Small inputs behind staging views and window filters make the planner expect a row or two
  and choose nested loops that re-run a staging view per row (seconds for a few hundred rows);
  JIT compiles such queries for longer than they run. Both are switched off for this model's
  transaction only: every join here is an equality join that hashes well at any size.
#}
{{ config(pre_hook=["set local enable_nestloop = off", "set local jit = off"]) }}

-- Field-verification sample (实地核查样本): per key county and built month, `sample_size`
-- households for the evaluating city's field team to visit (RULES.md "Cross-city evaluation");
-- the draw is in int_field_sample_draw. Holds what a team needs to find and check a household
-- without personal data: village and township, the head's masked id number and masked name,
-- household facts and the signals to verify. The plain head name is only in
-- mart_field_sample_contact, which evaluators and BI tools cannot read.

with

draw as (

    select * from {{ ref('int_field_sample_draw') }}

),

heads as (

    select * from {{ ref('int_field_sample_head') }}

),

facts as (

    select * from {{ ref('fct_household_month') }}

),

counties as (

    select * from {{ ref('dim_county') }}

),

townships as (

    select
        cast(township_code as text) as township_code,
        cast(township_name as text) as township_name
    from {{ ref('shanxi_townships') }}

),

assignment as (

    select * from {{ ref('mart_evaluation_assignment') }}

),

sampled as (

    select
        draw.month,
        draw.county_code,
        counties.county_name,
        counties.city_code,
        assignment.evaluating_city_code,
        assignment.evaluating_city_name,
        draw.sample_rank,
        draw.reason,
        draw.household_id,
        facts.village_code,
        townships.township_name,
        facts.head_id_masked,
        case
            when heads.head_name is null then null
            when char_length(heads.head_name) <= 1 then '*'
            else left(heads.head_name, 1) || repeat('*', char_length(heads.head_name) - 1)
        end as head_name_masked,
        facts.member_count,
        facts.household_type,
        facts.monitoring_type,
        facts.monitoring_status,
        facts.per_capita_net_income,
        facts.should_monitor,
        facts.missed_identification,
        facts.relapse_after_elimination,
        nullif(concat_ws(
            ';',
            case when facts.sig_income_low then 'INCOME_LOW' end,
            case when facts.sig_edu_dropout then 'EDU_DROPOUT' end,
            case when facts.sig_edu_unverified then 'EDU_UNVERIFIED' end,
            case when facts.sig_med_uninsured then 'MED_UNINSURED' end,
            case when facts.sig_med_unverified then 'MED_UNVERIFIED' end,
            case when facts.sig_med_burden then 'MED_BURDEN' end,
            case when facts.sig_house_unsafe then 'HOUSE_UNSAFE' end,
            case when facts.sig_house_unverified then 'HOUSE_UNVERIFIED' end,
            case when facts.sig_water_unsafe then 'WATER_UNSAFE' end,
            case when facts.sig_water_unverified then 'WATER_UNVERIFIED' end,
            case when facts.sig_disaster then 'DISASTER' end,
            case when facts.sig_job_none then 'JOB_NONE' end,
            case when facts.sig_safety_net_gap then 'SAFETY_NET_GAP' end
        ), '') as signals_to_check
    from draw
    inner join facts
        on facts.month = draw.month
        and facts.household_id = draw.household_id
    inner join counties
        on counties.county_code = draw.county_code
    left join assignment
        on assignment.county_code = draw.county_code
        and assignment.year = cast(extract(year from draw.month) as integer)
    left join townships
        on townships.township_code = left(facts.village_code, 9)
    left join heads
        on heads.month = draw.month
        and heads.household_id = draw.household_id

),

built_months as (

    select month, lag(month) over (order by month) as previous_month
    from (select distinct month from facts) as months

),

final as (

    select
        sampled.month,
        sampled.county_code,
        sampled.county_name,
        sampled.city_code,
        sampled.evaluating_city_code,
        sampled.evaluating_city_name,
        sampled.sample_rank,
        sampled.reason,
        sampled.household_id,
        sampled.village_code,
        sampled.township_name,
        sampled.head_id_masked,
        sampled.head_name_masked,
        sampled.member_count,
        sampled.household_type,
        sampled.monitoring_type,
        sampled.monitoring_status,
        sampled.per_capita_net_income,
        sampled.should_monitor,
        sampled.missed_identification,
        sampled.relapse_after_elimination,
        sampled.signals_to_check,
        previous.household_id is not null as sampled_previous_month
    from sampled
    inner join built_months
        on built_months.month = sampled.month
    left join sampled as previous
        on previous.month = built_months.previous_month
        and previous.household_id = sampled.household_id

)

select * from final
