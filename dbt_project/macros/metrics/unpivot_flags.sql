{#
  One row per column of `relation` named in `columns`, for a cross join lateral: the columns'
  values under `value_name` and, under `code_name`, a code named after each column (the column
  less `prefix` and `suffix`, upper-cased when `upper`): sig_edu_dropout -> EDU_DROPOUT,
  education_rate -> education. The signal, doubt-point and rate codes are the contract's names
  of these columns (docs/contract/RULES.md), so naming the columns once names the codes.
#}
{% macro unpivot_flags(
    relation, columns, as_name, code_name='code', value_name='value',
    prefix='', suffix='', upper=true
) -%}
    cross join lateral (
        values
        {%- for column in columns %}
            {%- set code = column[prefix | length:(column | length) - (suffix | length)] %}
            ('{{ code | upper if upper else code }}', {{ relation }}.{{ column }}){{ ',' if not loop.last }}
        {%- endfor %}
    ) as {{ as_name }} ({{ code_name }}, {{ value_name }})
{%- endmacro %}
