{#
  The snapshots of `feed` that the months of this run use, as a SQL list of date literals
  ('null' when none), read from int_feed_snapshot_month when the model is compiled (dbt builds
  that model first). Filtering a staging view with literals lets PostgreSQL push the filter
  below the view's deduplication (its window is partitioned by snapshot_month) and read only
  those snapshots (BRIN index on raw._snapshot_month) instead of every month ever delivered.
  The join to int_feed_snapshot_month stays the source of truth; this is a pre-filter.
#}
{% macro present_snapshots(snapshot_relation, feed) -%}
    {%- if not execute or load_relation(snapshot_relation) is none -%}
        {{ return('null') }}
    {%- endif -%}
    {%- set query -%}
        select distinct snapshot_month
        from {{ snapshot_relation }}
        where feed = '{{ feed }}' and is_present
        order by snapshot_month
    {%- endset -%}
    {%- set months = run_query(query).columns[0].values() -%}
    {{ return(date_literals(months)) }}
{%- endmacro %}
