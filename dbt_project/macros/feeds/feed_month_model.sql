{#
  The per-run table (models/intermediate/month/) holding the rows of `feed` that each month built
  by this run uses: the month's chosen snapshot (int_feed_snapshot_month), one row per record key
  (staging's deduplication, or grouped by the key for water, employment and social assistance).
  The coverage models read it instead of the staging view (whose deduplication window would
  otherwise be sorted once more per reader), and int_feed_linkage_month counts its links.
#}
{% macro feed_month_model(feed) -%}
    {%- set models = {
        'registry_households': 'int_registry_households_month',
        'registry_members': 'int_registry_members_month',
        'education': 'int_education_month',
        'medical': 'int_medical_month',
        'housing': 'int_housing_month',
        'water': 'int_water_month',
        'employment': 'int_employment_month',
        'social_assistance': 'int_assistance_month',
    } -%}
    {{ return(models[feed]) }}
{%- endmacro %}
