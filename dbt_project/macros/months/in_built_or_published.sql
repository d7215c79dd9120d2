{#
  Which months of the history a marts build holds: every month up to var('month'), and every
  later month that `marts` holds now. A rebuild of an old month therefore publishes marts that
  still hold every later published month (their figures recomputed over the whole history:
  the problem ledger, month-on-month and year-on-year changes), instead of hiding them.
  `fangpin run` rebuilds the later months too when the old month's deliveries changed
  (docs/ARCHITECTURE.md, "Reruns"); fangpin.publish refuses a build that would drop a
  published month.

  The later months are read from marts.dim_month (marts.fct_household_month for marts
  published before dim_month existed) and put in as literals, which the BRIN index on month
  can use.
#}
{% macro in_built_or_published(month_column='month') -%}
    {%- set later = later_published_months() -%}
    ({{ month_column }} <= {{ build_month() }}
    {%- if later %} or {{ month_column }} in ({{ date_literals(later) }}){% endif %})
{%- endmacro %}
