{{ config(incremental_predicates=history_predicates()) }}

-- depends_on: {{ ref('int_month_build') }}

-- The problem ledger month by month (问题排查整改台账, incremental by month): for each built
-- month, one row per problem that is open in the month (its signal present) or closes in it
-- (present in the previous built month, not in this one), as the ledger stands at the end of
-- the month. A problem (a household, code spell for EDU_DROPOUT, MED_UNINSURED, HOUSE_UNSAFE,
-- WATER_UNSAFE, DISASTER, SAFETY_NET_GAP) is found in the first built month its signal is
-- present (a signal that comes back after it was gone is a new problem) and closes in the next
-- built month without it: `rectified` when the household is registered, `left_registry` when
-- it is not.
--
-- An incremental run computes var('month') from the ledger of the previous *built* month
-- (int_month_build: the latest month before var('month')), as stored, and the month's signals
-- in int_household_month: the previous month's open problems continue or close, the month's
-- other signals open new problems. So a month costs what the month holds, not the history. A
-- rebuilt old month re-chains the later months only when they are rebuilt too, in order
-- (docs/ARCHITECTURE.md "Reruns"). A full build (the model new, or --full-refresh) computes
-- every month of int_household_month at once, from the spells over its built months.
-- fct_problem is the closing rows of every month and the open rows of the latest month.

with
{{ import_ctes({'history': ref('int_household_month')}, history_filtered=['history']) }}

signals as (

    select
        history.month,
        history.household_id,
        history.county_code,
        history.city_code,
        history.village_code,
        signal.code
    from history
    {{ unpivot_flags(
        'history',
        domain_columns('signals', 'problem'),
        'signal', value_name='is_present', prefix='sig_'
    ) }}
    where signal.is_present

),

{% if is_incremental() %}

-- The previous built month's open problems, as stored when that month was built.
previous_open as (

    select stored.*
    from {{ this }} as stored
    where stored.month = (
        select max(builds.month) from {{ ref('int_month_build') }} as builds
        where builds.month < {{ build_month() }}
    )
        and stored.closed_month is null

),

carried as (

    select
        {{ build_month() }} as month,
        {{ problem_identity('previous_open') }}
        case when signals.household_id is null then {{ build_month() }} end as closed_month,
        case
            when signals.household_id is not null then 'open'
            when registered.household_id is not null then 'rectified'
            else 'left_registry'
        end as outcome
    from previous_open
    left join signals
        on signals.household_id = previous_open.household_id
        and signals.code = previous_open.code
    left join history as registered
        on registered.household_id = previous_open.household_id

),

found as (

    select
        signals.month,
        {{ problem_key('signals', 'month') }} as problem_id,
        signals.household_id,
        signals.county_code,
        signals.city_code,
        signals.village_code,
        signals.code,
        signals.month as found_month,
        {{ open_problem_status() }}
    from signals
    left join previous_open
        on previous_open.household_id = signals.household_id
        and previous_open.code = signals.code
    where previous_open.household_id is null

),

ledger as (

    select * from carried
    union all
    select * from found

),

{% else %}

built_months as (

    select
        month,
        row_number() over (order by month) as month_index
    from history
    group by month

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

problems as (

    select
        spells.*,
        {{ problem_key('spells', 'found_month') }} as problem_id
    from spells

),

-- Every month of a spell: the problem open.
open_rows as (

    select
        present_signals.month,
        {{ problem_identity('problems') }}
        {{ open_problem_status() }}
    from problems
    inner join present_signals
        on present_signals.household_id = problems.household_id
        and present_signals.code = problems.code
        and present_signals.spell_group = problems.spell_group

),

-- The next built month after a spell: the problem closes.
closing_rows as (

    select
        closing_months.month,
        {{ problem_identity('problems') }}
        closing_months.month as closed_month,
        case
            when registered.household_id is not null then 'rectified'
            else 'left_registry'
        end as outcome
    from problems
    inner join built_months as closing_months
        on closing_months.month_index = problems.last_month_index + 1
    left join history as registered
        on registered.month = closing_months.month
        and registered.household_id = problems.household_id

),

ledger as (

    select * from open_rows
    union all
    select * from closing_rows

),

{% endif %}

final as (

    select
        cast(month as date) as month,
        cast(problem_id as text) as problem_id,
        household_id,
        county_code,
        city_code,
        village_code,
        cast(code as text) as code,
        cast(found_month as date) as found_month,
        cast(closed_month as date) as closed_month,
        cast(outcome as text) as outcome
    from ledger

)

select * from final
