{#
  The eight departmental feeds of docs/contract/FEEDS.md, the staging model that holds each one's
  deduplicated snapshots, and how its records link to the registered population
  (docs/contract/RULES.md): registry (the registry itself), person (id number of a member), head (id
  number of a household's head), village (village code). Feed names are the contract of the outside
  world, not policy.
#}
{% macro fangpin_feeds() -%}
    {{ return([
        {'feed': 'registry_households', 'model': 'stg_registry_households__households', 'link': 'registry'},
        {'feed': 'registry_members', 'model': 'stg_registry_members__members', 'link': 'registry'},
        {'feed': 'education', 'model': 'stg_education__student_status', 'link': 'person'},
        {'feed': 'medical', 'model': 'stg_medical__enrolments', 'link': 'person'},
        {'feed': 'housing', 'model': 'stg_housing__appraisals', 'link': 'head'},
        {'feed': 'water', 'model': 'stg_water__inspections', 'link': 'village'},
        {'feed': 'employment', 'model': 'stg_employment__jobs', 'link': 'person'},
        {'feed': 'social_assistance', 'model': 'stg_social_assistance__assistance', 'link': 'person'},
    ]) }}
{%- endmacro %}


{# The feeds without which a month is not built: the registry exception of
   docs/contract/RULES.md "Time". #}
{% macro registry_feeds() -%}
    {{ return(fangpin_feeds() | selectattr('link', 'equalto', 'registry') | map(attribute='feed') | list) }}
{%- endmacro %}


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
    {%- if months | length == 0 -%}
        {{ return('null') }}
    {%- endif -%}
    {%- set literals = [] -%}
    {%- for month in months -%}
        {%- do literals.append("cast('" ~ month ~ "' as date)") -%}
    {%- endfor -%}
    {{ return(literals | join(', ')) }}
{%- endmacro %}


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
