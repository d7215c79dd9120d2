{{
    config(
        incremental_predicates=history_predicates(),
        pre_hook=hash_joins_only()
    )
}}

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
            {%- for item in fangpin_feeds() %}
            ('{{ item.feed }}', '{{ feed_population(item.feed).basis }}'){{ "," if not loop.last }}
            {%- endfor %}
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

{{ registered_heads_and_villages('households') }}

-- Per coverage basis of the feeds, the registered units of each month.
{%- set units = [] %}
{%- for item in fangpin_feeds() if feed_population(item.feed) not in units %}
    {%- do units.append(feed_population(item.feed)) %}
{%- endfor %}
denominators as (
    {% for unit in units %}
    select month, '{{ unit.basis }}' as coverage_basis, count(*) as registered
    from {{ unit.population }}
    group by month
    {{ "union all" if not loop.last }}
    {%- endfor %}

),

-- Per feed, the registered units of its coverage basis that the month's own delivery
-- (snapshot_month = month) has a record for. The month's rows of a feed are its per-run table
-- (feed_month_model()): the chosen snapshot is the month's own whenever one was delivered (the
-- latest at or before the month), so its rows with snapshot_month = month are exactly staging's
-- rows of that snapshot, without sorting staging's deduplication again. Each population CTE holds
-- a unit once per month (the registry's households are unique by month and household_id), so
-- counting the units that have a record (a semi-join) counts each covered unit once.
covered as (
    {% for item in fangpin_feeds() %}
    {%- set unit = feed_population(item.feed) %}
    select
        {{ unit.population }}.month,
        '{{ item.feed }}' as feed,
        count(*) as covered
    from {{ unit.population }}
    where exists (
        select 1
        from {{ ref(feed_month_model(item.feed)) }} as delivered
        where delivered.month = {{ unit.population }}.month
            and delivered.snapshot_month = {{ unit.population }}.month
            and delivered.{{ unit.record_key }} = {{ unit.population }}.{{ unit.key }}
    )
    group by {{ unit.population }}.month
    {{ "union all" if not loop.last }}
    {% endfor %}
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
