{#
  Which row of a year-keyed policy table applies to a year (docs/contract/RULES.md "Policy
  parameters", docs/RULES_READING.md): the latest year set at or before `year`, else (a year
  before the first) the earliest. A row_number() over `partition_by` that is 1 on that row;
  `set_for_year` is the table's year column.
#}
{% macro year_choice_rank(partition_by, year, set_for_year) -%}
    row_number() over (
            partition by {{ partition_by }}
            order by
                {{ set_for_year }} <= {{ year }} desc,
                abs({{ year }} - {{ set_for_year }})
        )
{%- endmacro %}
