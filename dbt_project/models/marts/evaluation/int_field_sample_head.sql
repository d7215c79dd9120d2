{{ config(materialized='ephemeral') }}

-- The plain name of each sampled household's head (户主姓名), for the field teams only: the head
-- of the registry_households snapshot the month used, looked up by id number in the
-- registry_members snapshot the month used. The id number is used for the join and goes no
-- further. Ephemeral: mart_field_sample keeps only a masked form of the name, and the plain
-- name is published in mart_field_sample_contact alone, which row-level security restricts to
-- the evaluating city's field team (fangpin.warehouse.field_roles).

with

draw as (

    select month, household_id
    from {{ ref('int_field_sample_draw') }}

),

facts as (

    select month, household_id, registry_snapshot_month
    from {{ ref('fct_household_month') }}

),

member_snapshots as (

    select month, snapshot_month
    from {{ ref('mart_feed_linkage') }}
    where feed = 'registry_members'
        and is_present

),

heads as materialized (

    select
        draw.month,
        draw.household_id,
        registry.head_id_number
    from draw
    inner join facts
        on facts.month = draw.month
        and facts.household_id = draw.household_id
    inner join {{ ref('stg_registry_households__households') }} as registry
        on registry.snapshot_month = facts.registry_snapshot_month
        and registry.household_id = draw.household_id

),

-- Materialized: the staging view ranks every delivered row, so it is read once here rather
-- than once per sampled household (the planner underestimates the sample and would loop).
members as materialized (

    select
        members.snapshot_month,
        members.id_number,
        members.person_name
    from {{ ref('stg_registry_members__members') }} as members
    where members.snapshot_month in (select snapshot_month from member_snapshots)

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
