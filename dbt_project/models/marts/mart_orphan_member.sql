-- Registry members whose household is not among the month's households (orphans), per month
-- built up to var('month'). Pseudonymised: no id numbers or names.

with

history as (

    select * from {{ ref('int_orphan_member_month') }}
    where {{ in_built_or_published() }}

),

final as (

    select
        month,
        member_snapshot_month,
        household_id,
        person_key,
        relation
    from history

)

select * from final
