{#
  dbt's get_where_subquery, for the data tests of the marts. dbt_project.yml filters every
  test of models/marts/ to the month being built (`month = var('month')`): the marts hold the
  whole history and a build replaces or adds only that month, so a test reads one month, not
  every month ever built (issue 17). A mart without a month column cannot take that filter:
  the problem ledger (found_month, closed_month) is tested on the problems the month touches
  (found in it, closed in it, or still open), and the other ones (dim_county, dim_policy,
  mart_evaluation_assignment: a row per county or year, not per month) are tested whole. Any
  other `where` (one that names no `month` column, such as staging's snapshot_month filter, or
  on a relation with a month column) is dbt's own subquery.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and execute and modules.re.search('\\bmonth\\b', where) -%}
        {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {%- if 'month' not in names -%}
            {%- if 'found_month' in names and 'closed_month' in names -%}
                {%- set where = 'found_month = ' ~ build_month() ~ ' or closed_month = '
                    ~ build_month() ~ ' or closed_month is null' -%}
            {%- else -%}
                {%- do return(relation) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
