-- Problem ledger (问题排查整改台账): one row per problem, a (household, code) spell for the codes
-- EDU_DROPOUT, MED_UNINSURED, HOUSE_UNSAFE, WATER_UNSAFE, DISASTER, SAFETY_NET_GAP, computed
-- from the months built up to var('month'). A problem is found in the first month its signal is
-- present (a signal that comes back after it was gone is a new problem) and closes in the next
-- built month: `rectified` when the household is registered without the signal,
-- `left_registry` when it is not registered; a problem still present in the latest month is
-- `open`.

with

history as (

    select * from {{ ref('int_household_month') }}
    where {{ in_built_or_published() }}

),

built_months as (

    select
        month,
        row_number() over (order by month) as month_index
    from history
    group by month

),

signals as (

    select
        history.month,
        history.household_id,
        history.county_code,
        history.city_code,
        history.village_code,
        signal.code,
        signal.is_present
    from history
    {{ unpivot_flags(
        'history',
        domain_columns('signals', 'problem'),
        'signal', value_name='is_present', prefix='sig_'
    ) }}

),

present_signals as (

    select
        signals.*,
        built_months.month_index,
        built_months.month_index - row_number() over (
            partition by signals.household_id, signals.code
            order by built_months.month_index
        ) as spell_group
    from signals
    inner join built_months
        on built_months.month = signals.month
    where signals.is_present

),

spells as (

    select
        household_id,
        code,
        spell_group,
        min(month) as found_month,
        max(month_index) as last_month_index,
        (array_agg(county_code order by month))[1] as county_code,
        (array_agg(city_code order by month))[1] as city_code,
        (array_agg(village_code order by month))[1] as village_code
    from present_signals
    group by household_id, code, spell_group

),

closures as (

    select
        spells.*,
        closing_months.month as closed_month,
        closing_households.household_id is not null as is_registered_when_closed
    from spells
    left join built_months as closing_months
        on closing_months.month_index = spells.last_month_index + 1
    left join history as closing_households
        on closing_households.month = closing_months.month
        and closing_households.household_id = spells.household_id

),

final as (

    select
        household_id || '-' || code || '-' || to_char(found_month, 'YYYYMM') as problem_id,
        household_id,
        county_code,
        city_code,
        village_code,
        code,
        found_month,
        closed_month,
        case
            when closed_month is null then 'open'
            when is_registered_when_closed then 'rectified'
            else 'left_registry'
        end as outcome
    from closures

)

select * from final
