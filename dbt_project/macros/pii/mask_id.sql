{# First 6 and last 4 characters kept, the rest '*' (docs/contract/MARTS.md): 142701********123X. #}
{% macro mask_id(id_number) -%}
    case
        when length({{ id_number }}) > 10
            then left({{ id_number }}, 6) || repeat('*', length({{ id_number }}) - 10) || right({{ id_number }}, 4)
        else repeat('*', length({{ id_number }}))
    end
{%- endmacro %}
