{{ config(post_hook="{{ assert_registry_in_reach() }}") }}

-- docs/contract/RULES.md "Time": for each month this run computes and each feed, the latest
-- snapshot at or before the month, and whether it is in reach (at most feed_max_age_months older).
-- A feed out of reach is absent for the month. The post-hook stops the build when the registry is
-- absent for var('month').

with

parameters as (

    {{ parameter_value(policy('policy_parameters'), 'feed_max_age_months', 'integer') }}

),

feeds (feed) as (

    values
    {%- for item in fangpin_feeds() %}
        ('{{ item.feed }}'){{ "," if not loop.last }}
    {%- endfor %}

),

snapshots as (

    select feed, snapshot_month
    from {{ ref('stg_raw__snapshots') }}

),

{% if rebuild_history() and history_relation() is not none -%}
-- The history is being rebuilt: var('month') and every month the history already holds.
months as (

    select month from {{ history_relation() }}
    union
    select {{ build_month() }} as month

),
{%- else -%}
months as (

    select {{ build_month() }} as month

),
{%- endif %}

latest_snapshots as (

    select
        months.month,
        snapshots.feed,
        max(snapshots.snapshot_month) as latest_snapshot_month
    from months
    inner join snapshots
        on snapshots.snapshot_month <= months.month
    group by months.month, snapshots.feed

),

final as (

    select
        months.month,
        feeds.feed,
        latest_snapshots.latest_snapshot_month,
        {{ months_between('months.month', 'latest_snapshots.latest_snapshot_month') }} as snapshot_age_months,
        parameters.feed_max_age_months as max_age_months,
        coalesce(
            {{ months_between('months.month', 'latest_snapshots.latest_snapshot_month') }}
            <= parameters.feed_max_age_months,
            false
        ) as is_present,
        case
            when {{ months_between('months.month', 'latest_snapshots.latest_snapshot_month') }}
                <= parameters.feed_max_age_months
                then latest_snapshots.latest_snapshot_month
        end as snapshot_month
    from months
    cross join feeds
    cross join parameters
    left join latest_snapshots
        on latest_snapshots.month = months.month
        and latest_snapshots.feed = feeds.feed

)

select * from final
