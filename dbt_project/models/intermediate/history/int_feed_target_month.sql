{{
    config(
        incremental_predicates=history_predicates(),
        pre_hook=hash_joins_only()
    )
}}

-- Per month built and feed: the population the feed should cover (target_population, the
-- populations of RULES.md's rates) and how much of it the delivery of that month covers, beside
-- int_feed_coverage_month's coverage of the whole registered population (mart_feed_reporting
-- shows both). Education: members of compulsory-education age (compulsory_age_min..max at the
-- month's end, int_member_month's ages, as the education rate counts them). Employment:
-- members of working age (working_age_min..max) who are skilled or ordinary labour (the
-- employment rate's denominator). Medical (all members), housing (household heads), water
-- (villages) and the registry feeds: their coverage basis, so int_feed_coverage_month's counts.
-- Social assistance has no such population (it serves the households that need it): null.
-- Covered counts the delivery of month M itself (snapshot_month = M), as int_feed_coverage_month.
--
-- A history model of its own (macros/history/history_models.sql) rather than columns of
-- int_feed_coverage_month: a warehouse built before it gets every month it holds computed at its
-- next build, the way a new history model is, instead of failing on a changed schema.

with

coverage as (

    select month, feed, coverage_basis, registered, covered
    from {{ ref('int_feed_coverage_month') }}
    {{ history_filter() }}

),

built_months as (

    select distinct month
    from coverage

),

feeds as (

    select feed, target_population
    from (
        values
            ('registry_households', 'households'),
            ('registry_members', 'people'),
            ('education', 'compulsory_age_people'),
            ('medical', 'people'),
            ('housing', 'household_heads'),
            ('water', 'villages'),
            ('employment', 'working_age_labour'),
            ('social_assistance', null)
    ) as feed_list (feed, target_population)

),

-- Members by the populations the education and employment feeds should cover.
target_people as (

    select
        members.month,
        members.id_number,
        bool_or(members.is_compulsory_age) as is_compulsory_age,
        bool_or(members.is_working_age and members.is_labour_force) as is_working_age_labour
    from {{ ref('int_member_month') }} as members
    inner join built_months
        on built_months.month = members.month
    group by members.month, members.id_number

),

target_counts as (

    {%- for item in [
        ('education', 'is_compulsory_age'),
        ('employment', 'is_working_age_labour'),
    ] %}
    {%- if not loop.first %}

    union all
    {%- endif %}

    select
        target_people.month,
        '{{ item[0] }}' as feed,
        count(distinct target_people.id_number) as target_registered,
        count(distinct delivered.id_number) as target_covered
    from target_people
    left join {{ ref(feed_month_model(item[0])) }} as delivered
        on delivered.month = target_people.month
        and delivered.snapshot_month = target_people.month
        and delivered.id_number = target_people.id_number
    where target_people.{{ item[1] }}
    group by target_people.month
    {%- endfor %}

),

final as (

    select
        coverage.month,
        coverage.feed,
        feeds.target_population,
        case
            when feeds.target_population is null then null
            when feeds.target_population = coverage.coverage_basis then coverage.registered
            else coalesce(target_counts.target_registered, 0)
        end as target_registered,
        case
            when feeds.target_population is null then null
            when feeds.target_population = coverage.coverage_basis then coverage.covered
            else coalesce(target_counts.target_covered, 0)
        end as target_covered
    from coverage
    inner join feeds
        on feeds.feed = coverage.feed
    left join target_counts
        on target_counts.month = coverage.month
        and target_counts.feed = coverage.feed

)

select * from final
