{{
    config(
        incremental_predicates=history_predicates(),
        pre_hook=hash_joins_only()
    )
}}

-- depends_on: {{ ref('int_month_context') }}  (run_months() reads it when the history is rebuilt)

-- Per month built and feed: the month's registered population (the households of
-- int_registry_households_month, which are int_household_month's) on the feed's coverage basis and
-- how much of it the delivery of that month covers (mart_feed_reporting). Registry feeds and
-- the person feeds (education, medical, employment, social_assistance) → registered people
-- (non-orphan members); registry_households → registered households; housing → registered
-- household heads; water → villages with registered households. Covered counts the delivery
-- of month M itself (snapshot_month = M), whether or not it arrived on time; the mart applies
-- arrival. Incremental by month like int_household_month: a run replaces exactly var('month'),
-- so the mart reads this small table instead of joining every staging view for every month.
-- The planner settings are those of the marts that join staging views (nested loops off).

with

households as (

    select month, household_id, head_id_number, village_code
    from {{ ref('int_registry_households_month') }}
    {{ history_filter() }}

),

built_months as (

    select distinct month
    from households

),

feeds as (

    select feed, coverage_basis
    from (
        values
            ('registry_households', 'households'),
            ('registry_members', 'people'),
            ('education', 'people'),
            ('medical', 'people'),
            ('housing', 'household_heads'),
            ('water', 'villages'),
            ('employment', 'people'),
            ('social_assistance', 'people')
    ) as feed_list (feed, coverage_basis)

),

registered_people as (

    select distinct
        members.month,
        members.id_number
    from {{ ref('int_registry_members_month') }} as members
    inner join built_months
        on built_months.month = members.month
    where not members.is_orphan

),

registered_heads as (

    select distinct month, head_id_number
    from households

),

registered_villages as (

    select distinct month, village_code
    from households

),

denominators as (

    select month, 'households' as coverage_basis, count(*) as registered
    from households
    group by month
    union all
    select month, 'people' as coverage_basis, count(*) as registered
    from registered_people
    group by month
    union all
    select month, 'household_heads' as coverage_basis, count(*) as registered
    from registered_heads
    group by month
    union all
    select month, 'villages' as coverage_basis, count(*) as registered
    from registered_villages
    group by month

),

covered as (

    select
        households.month,
        'registry_households' as feed,
        count(distinct households.household_id) as covered
    from households
    inner join {{ ref('stg_registry_households__households') }} as delivered
        on delivered.snapshot_month = households.month
        and delivered.household_id = households.household_id
    where delivered.snapshot_month in ({{ run_months() }})
    group by households.month

    {%- for item in [
        ('registry_members', 'stg_registry_members__members'),
        ('education', 'stg_education__student_status'),
        ('medical', 'stg_medical__enrolments'),
        ('employment', 'stg_employment__jobs'),
        ('social_assistance', 'stg_social_assistance__assistance'),
    ] %}

    union all

    select
        registered_people.month,
        '{{ item[0] }}' as feed,
        count(distinct registered_people.id_number) as covered
    from registered_people
    inner join {{ ref(item[1]) }} as delivered
        on delivered.snapshot_month = registered_people.month
        and delivered.id_number = registered_people.id_number
    where delivered.snapshot_month in ({{ run_months() }})
    group by registered_people.month
    {%- endfor %}

    union all

    select
        registered_heads.month,
        'housing' as feed,
        count(distinct registered_heads.head_id_number) as covered
    from registered_heads
    inner join {{ ref('stg_housing__appraisals') }} as delivered
        on delivered.snapshot_month = registered_heads.month
        and delivered.householder_id_number = registered_heads.head_id_number
    where delivered.snapshot_month in ({{ run_months() }})
    group by registered_heads.month

    union all

    select
        registered_villages.month,
        'water' as feed,
        count(distinct registered_villages.village_code) as covered
    from registered_villages
    inner join {{ ref('stg_water__inspections') }} as delivered
        on delivered.snapshot_month = registered_villages.month
        and delivered.village_code = registered_villages.village_code
    where delivered.snapshot_month in ({{ run_months() }})
    group by registered_villages.month

),

final as (

    select
        built_months.month,
        feeds.feed,
        feeds.coverage_basis,
        coalesce(denominators.registered, 0) as registered,
        coalesce(covered.covered, 0) as covered
    from built_months
    cross join feeds
    left join denominators
        on denominators.month = built_months.month
        and denominators.coverage_basis = feeds.coverage_basis
    left join covered
        on covered.month = built_months.month
        and covered.feed = feeds.feed

)

select * from final
