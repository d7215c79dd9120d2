{#
  The rows of `feed` (its staging model) that each month built by this run uses: the month's
  chosen snapshot, if the feed is present for the month. Columns: month, then the staging
  model's columns (snapshot_month among them).
#}
{% macro snapshot_rows_by_month(feed, staging_model) -%}
    select
        months.month,
        records.*
    from {{ ref('int_month_context') }} as months
    inner join {{ ref('int_feed_snapshot_month') }} as feed_snapshots
        on feed_snapshots.month = months.month
        and feed_snapshots.feed = '{{ feed }}'
        and feed_snapshots.is_present
    inner join {{ ref(staging_model) }} as records
        on records.snapshot_month = feed_snapshots.snapshot_month
    where records.snapshot_month in ({{ present_snapshots(ref('int_feed_snapshot_month'), feed) }})
{%- endmacro %}
