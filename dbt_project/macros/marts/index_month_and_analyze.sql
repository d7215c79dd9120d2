{#
  Post-hook of the marts: a BRIN index on `month` where the mart has one, and fresh planner
  statistics. Evaluators ask for a month (`where month = …`), the audit copies the month being
  published by a range on `month` (fangpin.audit.batches), and its checks that compare a month
  with fct_household_month read that month of it: with the mart appended month by month, a
  BRIN index turns each into a read of that month's pages, not of the whole history, for
  almost nothing at build time (a B-tree over 13 million household-months would cost more than
  the reads it saves). The index is left unnamed: during dbt's swap the previous table, and its
  index, still exist under their own names.
#}
{% macro index_month_and_analyze() -%}
    {%- if execute and this.identifier is not none -%}
        {%- set names = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
        {%- if 'month' in names -%}
            create index on {{ this }} using brin (month);
        {%- endif -%}
    {%- endif %}
    analyze {{ this }}
{%- endmacro %}
