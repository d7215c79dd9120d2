{#
  None of the given columns is null, checked in one query (the household-month flags are
  many; one query each would slow every monthly build).
#}
{% test not_null_columns(model, column_names) %}

select *
from {{ model }}
where
    {%- for column in column_names %}
    {{ column }} is null{{ " or" if not loop.last }}
    {%- endfor %}

{% endtest %}
