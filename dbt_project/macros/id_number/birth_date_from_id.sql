{#
  Birth date and sex come from the 18-character id number (docs/contract/FEEDS.md): digits 7-14 are
  the birth date (YYYYMMDD), digit 17 is odd for a man and even for a woman. A number whose date
  part is not a real date gives a null birth date (and so no age) instead of an error.
#}
{% macro birth_date_from_id(id_number) -%}
    case
        when {{ is_id_number(id_number) }}
            and substr({{ id_number }}, 7, 4)::integer >= 1
            and substr({{ id_number }}, 11, 2)::integer between 1 and 12
            and substr({{ id_number }}, 13, 2)::integer between 1 and extract(day from (
                make_date(substr({{ id_number }}, 7, 4)::integer, substr({{ id_number }}, 11, 2)::integer, 1)
                + interval '1 month' - interval '1 day'
            ))
            then make_date(
                substr({{ id_number }}, 7, 4)::integer,
                substr({{ id_number }}, 11, 2)::integer,
                substr({{ id_number }}, 13, 2)::integer
            )
    end
{%- endmacro %}
