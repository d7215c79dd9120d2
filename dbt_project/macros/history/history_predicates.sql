{#
  Config of the incremental history models. delete+insert first deletes the months it
  replaces, `where month in (select distinct month from <new rows>)`: without more, PostgreSQL
  reads the whole history to find them. The predicate below names var('month') as a literal
  (an incremental run only ever inserts that month, see history_filter), and the BRIN index
  on month (history_month_index, a post-hook) lets the delete read that month's pages only,
  so replacing a month costs what the month holds, not what the history holds.
#}
{% macro history_predicates() -%}
    {{ return(["DBT_INTERNAL_DEST.month = " ~ build_month()]) }}
{%- endmacro %}
