{{ config(incremental_predicates=history_predicates()) }}

-- The field-verification draw (实地核查抽样), before any names are attached: per key county and
-- built month, `sample_size` households (policy_parameters). Every missed identification is in
-- it up to half the sample (sample_size / 2, rounded down); when there are more, the half is
-- taken in draw order. The rest of the sample is drawn from the county's other households
-- (those not taken in the first part) in draw order. The draw order is
-- md5(sample_seed, county, month, household): the same county, month, households and seed give
-- the same sample, and a new month or seed gives a new one. Each drawn household carries the
-- facts of the month that mart_field_sample shows (no names, masked head id only).
-- Incremental by month like int_household_month: a run draws var('month') only, and the sample
-- marts read this small table instead of drawing again over every month of the history.

with

policy as (

    {{ parameter_value(policy('policy_parameters'), 'sample_size', 'integer') }}

),

settings as (

    {{ parameter_value(ref('evaluation_parameters'), 'sample_seed', 'text') }}

),

facts as (

    select * from {{ ref('int_household_month') }}
    {{ history_filter() }}

),

-- The key counties of each month's year (the list in force: imported or shipped; the same
-- rule as dim_county's is_key_county and the scorecard's).
key_counties as (

    {{ key_counties_by_month('facts') }}

),

households as (

    select
        facts.month,
        facts.county_code,
        facts.household_id,
        facts.missed_identification,
        md5(concat_ws(
            ':', settings.sample_seed, facts.county_code, to_char(facts.month, 'YYYY-MM'),
            facts.household_id
        )) as draw_key
    from facts
    inner join key_counties
        on key_counties.county_code = facts.county_code
        and key_counties.month = facts.month
    cross join settings

),

missed_ranked as (

    select
        *,
        row_number() over (
            partition by month, county_code
            order by draw_key, household_id
        ) as draw_order
    from households
    where missed_identification

),

missed_part as (

    select
        missed_ranked.month,
        missed_ranked.county_code,
        missed_ranked.household_id,
        'missed_identification' as reason,
        missed_ranked.draw_order as sample_rank
    from missed_ranked
    cross join policy
    where missed_ranked.draw_order <= policy.sample_size / 2

),

missed_taken as (

    select month, county_code, count(*) as taken
    from missed_part
    group by month, county_code

),

others_ranked as (

    select
        households.*,
        row_number() over (
            partition by households.month, households.county_code
            order by households.draw_key, households.household_id
        ) as draw_order
    from households
    where not exists (
        select 1
        from missed_part
        where missed_part.month = households.month
            and missed_part.household_id = households.household_id
    )

),

random_part as (

    select
        others_ranked.month,
        others_ranked.county_code,
        others_ranked.household_id,
        'random' as reason,
        coalesce(missed_taken.taken, 0) + others_ranked.draw_order as sample_rank
    from others_ranked
    cross join policy
    left join missed_taken
        on missed_taken.month = others_ranked.month
        and missed_taken.county_code = others_ranked.county_code
    where others_ranked.draw_order <= policy.sample_size - coalesce(missed_taken.taken, 0)

),

drawn as (

    select * from missed_part
    union all
    select * from random_part

),

final as (

    select
        drawn.month,
        drawn.county_code,
        drawn.household_id,
        drawn.reason,
        drawn.sample_rank,
        facts.village_code,
        facts.head_id_masked,
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
            {%- for signal in signals_income_first() %}
            case when facts.{{ signal.column }} then '{{ signal.code }}' end{{ ',' if not loop.last }}
            {%- endfor %}
        ), '') as signals_to_check
    from drawn
    inner join facts
        on facts.month = drawn.month
        and facts.household_id = drawn.household_id

)

select * from final
