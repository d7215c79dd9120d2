-- The registry_members snapshot each month built uses, every member marked whether their
-- household is among the month's households. A member whose household is not is an orphan:
-- counted for nothing, reported per month (int_orphan_member_month).

with

members as (

    {{ snapshot_rows_by_month('registry_members', 'stg_registry_members__members') }}

),

households as (

    select month, household_id from {{ ref('int_registry_households_month') }}

),

final as (

    select
        members.month,
        members.snapshot_month,
        members.household_id,
        members.id_number,
        members.relation,
        members.labour_capacity,
        members.health,
        members.birth_date,
        members.sex,
        households.household_id is null as is_orphan
    from members
    left join households
        on households.month = members.month
        and households.household_id = members.household_id

)

select * from final
