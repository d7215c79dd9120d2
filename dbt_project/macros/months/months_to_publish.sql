{#
  Which months a month-partitioned mart (fct_household_month) builds: the month being built,
  and every earlier month of the history that `marts` does not hold yet (a month whose run
  stopped after its audit, before its publish). Every other month is already published as a
  partition of its own, and the publish moves only these months' partitions
  (fangpin.publish.partitions), so the build never copies the published history.

  With var publish_all_months (FANGPIN_PUBLISH_ALL_MONTHS=1), every month of the build, for a
  publish that replaces the whole table (after an upgrade changed its columns).

  The published months are read from marts.dim_month, as later_published_months() does, and
  put in as literals, which the BRIN index on month can use.
#}
{% macro months_to_publish(month_column='month') -%}
    {%- if var('publish_all_months', false) | string | lower == 'true' -%}
        {{ return(in_built_or_published(month_column)) }}
    {%- endif -%}
    {%- set published = published_months() -%}
    ({{ month_column }} = {{ build_month() }}
    or ({{ month_column }} < {{ build_month() }}
    {%- if published %} and {{ month_column }} not in ({{ date_literals(published) }}){% endif %}))
{%- endmacro %}
