{#
  The combination of the given columns is unique in the model (a composite key).
  Usage (dbt 1.11 form):
    data_tests:
      - unique_combination_of_columns:
          arguments:
            combination_of_columns: [month, household_id]
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
