{#
  Which months this run computes.

  The household-month history lives in incremental models (int_household_month and its
  siblings). A normal run computes var('month') only and replaces exactly that month. When the
  history has to be rebuilt - a --full-refresh, or a history model that does not exist yet -
  the run computes var('month') together with every month the history already holds, so a full
  refresh gives the same rows as building those months one by one (with the raw data of now).
  A brand-new warehouse therefore starts with the month asked for, nothing before it.
#}
{% macro rebuild_history() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if flags.FULL_REFRESH -%}
        {{ return(true) }}
    {%- endif -%}
    {%- for name in history_models() -%}
        {%- if history_relation(name) is none -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}
