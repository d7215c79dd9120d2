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
    {%- if later %} or {{ month_column }} in ({{ later | join(', ') }}){% endif %})
{%- endmacro %}


{% macro later_published_months() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set published = var('published_schema', 'marts') -%}
    {#- Not a loop: a Jinja `set` inside a for loop does not outlive the loop. -#}
    {%- set months_table = adapter.get_relation(
        database=target.database, schema=published, identifier='dim_month') -%}
    {%- if months_table is none -%}
        {%- set months_table = adapter.get_relation(
            database=target.database, schema=published, identifier='fct_household_month') -%}
    {%- endif -%}
    {%- if months_table is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rows = run_query(
        'select distinct month from ' ~ months_table ~ ' where month > ' ~ build_month()
        ~ ' order by month').columns[0].values() -%}
    {%- set literals = [] -%}
    {%- for month in rows -%}
        {%- do literals.append("cast('" ~ month ~ "' as date)") -%}
    {%- endfor -%}
    {{ return(literals) }}
{%- endmacro %}
