{% macro sex_from_id(id_number) -%}
    case
        when {{ is_id_number(id_number) }}
            then case when substr({{ id_number }}, 17, 1)::integer % 2 = 1 then 'male' else 'female' end
    end
{%- endmacro %}
