{#
  Pre-hook of the incremental history models: delete+insert deletes only the months that its
  new rows hold, so a month that now has no rows (no doubt point, no sampled household, where
  a previous build of it had some) would keep its old rows. Deleting var('month') first makes
  a rebuild replace the month whatever it now holds.
#}
{% macro history_clear_month() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where month = {{ build_month() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
