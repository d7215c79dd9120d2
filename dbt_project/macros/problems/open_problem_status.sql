{#
  The status columns of a ledger row whose problem is open in the month: no closed month yet,
  outcome `open` (int_problem_month's closing rows carry the month and rectified /
  left_registry instead).
#}
{% macro open_problem_status() -%}
    cast(null as date) as closed_month,
        'open' as outcome
{%- endmacro %}
