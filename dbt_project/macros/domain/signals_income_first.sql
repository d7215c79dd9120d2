{#
  The signals of fangpin_domain() in their declared order, but INCOME_LOW first: the order in
  which docs/contract/RULES.md lists should_monitor's signals and the field sample lists its
  signals to check (Python: fangpin.domain.codes.income_first).
#}
{% macro signals_income_first() -%}
    {%- set signals = fangpin_domain().signals -%}
    {{ return(
        (signals | selectattr('code', 'equalto', 'INCOME_LOW') | list)
        + (signals | rejectattr('code', 'equalto', 'INCOME_LOW') | list)
    ) }}
{%- endmacro %}
