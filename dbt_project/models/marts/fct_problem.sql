-- Problem ledger (问题排查整改台账): one row per problem, a (household, code) spell for the codes
-- EDU_DROPOUT, MED_UNINSURED, HOUSE_UNSAFE, WATER_UNSAFE, DISASTER, SAFETY_NET_GAP, over the
-- months the build holds (in_built_or_published). A problem is found in the first month its
-- signal is present (a signal that comes back after it was gone is a new problem) and closes in
-- the next built month: `rectified` when the household is registered without the signal,
-- `left_registry` when it is not registered; a problem still present in the latest month is
-- `open`. The ledger is computed month by month in int_problem_month: this is its closing rows
-- (every problem that closed) and the open rows of the latest month, no household-month read.

with

ledger as (

    select * from {{ ref('int_problem_month') }}
    where {{ in_built_or_published() }}

),

latest as (

    select max(month) as month from ledger

),

final as (

    select
        ledger.problem_id,
        ledger.household_id,
        ledger.county_code,
        ledger.city_code,
        ledger.village_code,
        ledger.code,
        ledger.found_month,
        ledger.closed_month,
        ledger.outcome
    from ledger
    where ledger.closed_month is not null
        or ledger.month = (select latest.month from latest)

)

select * from final
