{#
  Personal data leaves the pipeline only as a keyed pseudonym or a masked id number.

  person_pseudonym: HMAC-SHA256 of the id number under the key FANGPIN_PSEUDONYM_KEY (the
  development default is announced as such). The same person gets the same pseudonym in every
  month and every mart, and without the key it cannot be turned back into the id number.
  pgcrypto's hmac() is installed by fangpin.warehouse.setup.
#}
{% macro person_pseudonym(id_number) -%}
    encode(
        hmac(
            cast({{ id_number }} as text),
            '{{ env_var("FANGPIN_PSEUDONYM_KEY", "fangpin-development-key-not-for-production") | replace("'", "''") }}',
            'sha256'
        ),
        'hex'
    )
{%- endmacro %}


{# First 6 and last 4 characters kept, the rest '*' (MARTS.md): 142701********123X. #}
{% macro mask_id(id_number) -%}
    case
        when length({{ id_number }}) > 10
            then left({{ id_number }}, 6) || repeat('*', length({{ id_number }}) - 10) || right({{ id_number }}, 4)
        else repeat('*', length({{ id_number }}))
    end
{%- endmacro %}
