{#
  One named parameter of a parameter table (policy('policy_parameters'), or the seed
  evaluation_parameters) as a one-row select: its value cast to `type`, in a column named after
  the parameter. `parameter_value(policy('policy_parameters'), 'sample_size', 'integer')`.
#}
{% macro parameter_value(parameters, name, type) -%}
    select cast(value as {{ type }}) as {{ name }}
    from {{ parameters }}
    where parameter = '{{ name }}'
{%- endmacro %}
