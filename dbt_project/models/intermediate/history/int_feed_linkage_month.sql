{{ config(incremental_predicates=history_predicates()) }}

-- Per feed and month built: the snapshot used and how many of its records link to the
-- registered population. Person feeds link by id number to a registered member (orphans do not
-- count), housing by the householder's id number to a registered household's head, water by
-- the village to a village with registered households. Records that link to nothing stay in
-- staging and are counted here as unregistered_records (docs/contract/RULES.md "Who is counted").

with

months as (

    select month from {{ ref('int_month_context') }}
    {{ history_filter() }}

),

feed_snapshots as (

    select feed_snapshots.*
    from {{ ref('int_feed_snapshot_month') }} as feed_snapshots
    inner join months
        on months.month = feed_snapshots.month

),

households as (

    select month, household_id, head_id_number, village_code
    from {{ ref('int_registry_households_month') }}

),

registry_members as (

    select month, id_number, is_orphan
    from {{ ref('int_registry_members_month') }}

),

registered_people as (

    select month, id_number
    from registry_members
    where not is_orphan

),

{{ registered_heads_and_villages('households') }}

-- (month, feed, records, is_linked, is_orphan): records of one person / head / village
record_links as (

    select month, 'registry_households' as feed, 1 as records, true as is_linked, false as is_orphan
    from households

    union all

    select month, 'registry_members', 1, not is_orphan, is_orphan
    from registry_members
    {%- for item in [
        {'feed': 'education', 'records': '1'},
        {'feed': 'medical', 'records': '1'},
        {'feed': 'housing', 'records': '1'},
        {'feed': 'water', 'records': 'records.projects'},
        {'feed': 'employment', 'records': 'records.job_records'},
        {'feed': 'social_assistance', 'records': 'records.assistance_records'},
    ] %}
    {%- set unit = feed_population(item.feed) %}

    union all

    select
        records.month,
        '{{ item.feed }}',
        {{ item.records }},
        {{ unit.population }}.{{ unit.key }} is not null,
        false
    from {{ ref(feed_month_model(item.feed)) }} as records
    left join {{ unit.population }}
        on {{ unit.population }}.month = records.month
        and {{ unit.population }}.{{ unit.key }} = records.{{ unit.record_key }}
    {%- endfor %}

),

record_counts as (

    select
        record_links.month,
        record_links.feed,
        sum(record_links.records) as records,
        sum(record_links.records) filter (where record_links.is_linked) as linked_records,
        sum(record_links.records) filter (
            where not record_links.is_linked and not record_links.is_orphan
        ) as unregistered_records,
        sum(record_links.records) filter (where record_links.is_orphan) as orphan_records
    from record_links
    inner join months
        on months.month = record_links.month
    group by record_links.month, record_links.feed

),

final as (

    select
        feed_snapshots.month,
        feed_snapshots.feed,
        feed_snapshots.latest_snapshot_month,
        feed_snapshots.snapshot_age_months,
        feed_snapshots.is_present,
        feed_snapshots.snapshot_month,
        case when feed_snapshots.is_present then coalesce(record_counts.records, 0) end
            as records,
        case when feed_snapshots.is_present then coalesce(record_counts.linked_records, 0) end
            as linked_records,
        case when feed_snapshots.is_present then coalesce(record_counts.unregistered_records, 0) end
            as unregistered_records,
        case when feed_snapshots.is_present then coalesce(record_counts.orphan_records, 0) end
            as orphan_records
    from feed_snapshots
    left join record_counts
        on record_counts.month = feed_snapshots.month
        and record_counts.feed = feed_snapshots.feed

)

select * from final
