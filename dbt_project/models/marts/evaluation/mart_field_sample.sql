-- Field-verification sample (实地核查样本): per key county and built month, `sample_size`
-- households for the evaluating city's field team to visit (docs/contract/RULES.md "Cross-city
-- evaluation"); the draw, with the facts of the month, is in int_field_sample_draw and the head's
-- name in int_field_sample_head (both incremental by month): this mart reads those small tables.
-- Holds what a team needs to find and check a household without personal data: village and
-- township, the head's masked id number and masked name, household facts and the signals to verify.
-- The plain head name is only in mart_field_sample_contact, which evaluators and BI tools cannot
-- read.

with

draw as (

    select * from {{ ref('int_field_sample_draw') }}
    where {{ in_built_or_published() }}

),

heads as (

    select * from {{ ref('int_field_sample_head') }}
    where {{ in_built_or_published() }}

),

-- The months the marts hold (dim_month, one row each).
months as (

    select month from {{ ref('dim_month') }}

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
        draw.village_code,
        townships.township_name,
        draw.head_id_masked,
        case
            when heads.head_name is null then null
            when char_length(heads.head_name) <= 1 then '*'
            else left(heads.head_name, 1) || repeat('*', char_length(heads.head_name) - 1)
        end as head_name_masked,
        draw.member_count,
        draw.household_type,
        draw.monitoring_type,
        draw.monitoring_status,
        draw.per_capita_net_income,
        draw.should_monitor,
        draw.missed_identification,
        draw.relapse_after_elimination,
        draw.signals_to_check
    from draw
    inner join counties
        on counties.county_code = draw.county_code
    left join assignment
        on assignment.county_code = draw.county_code
        and assignment.year = cast(extract(year from draw.month) as integer)
    left join townships
        on townships.township_code = left(draw.village_code, 9)
    left join heads
        on heads.month = draw.month
        and heads.household_id = draw.household_id

),

built_months as (

    select month, lag(month) over (order by month) as previous_month
    from months

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
