{#
  A household key that is an id number (a department keying households by the head's id
  number, issue 12) is replaced by a keyed pseudonym, 'HP' and 30 hex characters of the
  person pseudonym (so it stays within household_id's 32 characters and is the same in every
  feed and month); any other key passes unchanged. ops.id_number_valid (warehouse setup,
  006_feed_input.sql) tests the shape and the MOD 11-2 check character. The raw audit warns
  about such keys (raw.<feed>/household_id_not_an_id_number).
#}
{% macro household_key(household_id) -%}
    case
        when ops.id_number_valid(upper(trim({{ household_id }})))
            then 'HP' || left({{ person_pseudonym('upper(trim(' ~ household_id ~ '))') }}, 30)
        else {{ household_id }}
    end
{%- endmacro %}
