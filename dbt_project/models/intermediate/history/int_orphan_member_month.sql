{{ config(incremental_predicates=history_predicates()) }}

-- Registry members whose household_id is not among the month's households (docs/contract/RULES.md
-- "Who is counted"): they count for nothing and are reported here, one row per member and month.

with

orphans as (

    select * from {{ ref('int_registry_members_month') }}
    where is_orphan

),

months as (

    select month from {{ ref('int_month_context') }}
    {{ history_filter() }}

),

final as (

    select
        orphans.month,
        orphans.snapshot_month as member_snapshot_month,
        orphans.household_id,
        {{ person_pseudonym('orphans.id_number') }} as person_key,
        orphans.relation
    from orphans
    inner join months
        on months.month = orphans.month

)

select * from final
