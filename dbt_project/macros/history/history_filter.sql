{#
  The filter a history model puts on its input: on an incremental run only var('month') is
  inserted (delete+insert on month replaces exactly that month); when the history is rebuilt,
  every month its inputs hold.
#}
{% macro history_filter(month_column='month') -%}
    {%- if is_incremental() -%}
        where {{ month_column }} = {{ build_month() }}
    {%- endif -%}
{%- endmacro %}
