{{
    config(
        incremental_predicates=history_predicates(),
        pre_hook=hash_joins_only()
    )
}}

-- The plain name of each sampled household's head (户主姓名), for the field teams only: the head
-- of the registry_households snapshot the month used, looked up by id number in the
-- registry_members snapshot the month used. The id number is used for the join and goes no
-- further. Incremental by month like int_field_sample_draw. Personal data: it stays in the
-- intermediate schema, which evaluator and bi_reader cannot use (fangpin.warehouse.roles);
-- mart_field_sample keeps only a masked form of the name, and the plain name is published in
-- mart_field_sample_contact alone, which row-level security restricts to the evaluating
-- city's field team (fangpin.warehouse.roles). The planner settings are those of the
-- marts that join staging views (nested loops off, no JIT).

with

draw as (

    select month, household_id
    from {{ ref('int_field_sample_draw') }}
    {{ history_filter() }}

),

households as (

    select month, household_id, head_id_number
    from {{ ref('int_registry_households_month') }}

),

member_snapshots as (

    select month, snapshot_month
    from {{ ref('int_feed_snapshot_month') }}
    where feed = 'registry_members'
        and is_present

),

heads as materialized (

    select
        draw.month,
        draw.household_id,
        households.head_id_number
    from draw
    inner join households
        on households.month = draw.month
        and households.household_id = draw.household_id

),

-- Materialized: the staging view ranks every delivered row, so it is read once here rather
-- than once per sampled household (the planner underestimates the sample and would loop).
-- The literals let PostgreSQL read only the snapshots this run uses.
members as materialized (

    select
        members.snapshot_month,
        members.id_number,
        members.person_name
    from {{ ref('stg_registry_members__members') }} as members
    where members.snapshot_month in (
        {{ present_snapshots(ref('int_feed_snapshot_month'), 'registry_members') }}
    )

),

head_names as (

    select
        heads.month,
        heads.household_id,
        members.person_name
    from heads
    inner join member_snapshots
        on member_snapshots.month = heads.month
    inner join members
        on members.snapshot_month = member_snapshots.snapshot_month
        and members.id_number = heads.head_id_number

),

final as (

    select
        heads.month,
        heads.household_id,
        head_names.person_name as head_name
    from heads
    left join head_names
        on head_names.month = heads.month
        and head_names.household_id = heads.household_id

)

select * from final
