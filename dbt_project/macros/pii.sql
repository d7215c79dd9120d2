{#
  Personal data leaves the pipeline only as a keyed pseudonym or a masked id number.

  person_pseudonym: HMAC-SHA256 of the id number under the warehouse's secret pseudonym key
  (generated per warehouse, or FANGPIN_PSEUDONYM_KEY; fangpin.warehouse.pseudonym_key, which also
  checks it against the fingerprint in ops.pseudonym_key). The same person gets the same pseudonym in every
  month and every mart, and without the key it cannot be turned back into the id number.
  pgcrypto's hmac() is installed by fangpin.warehouse.setup. The key reaches the server as the
  session setting fangpin.pseudonym_key (PGOPTIONS in the dbt process's environment, set by
  fangpin.warehouse.connection.dbt_env), so it is never written into dbt's compiled SQL under target/; a session without
  it fails loudly rather than hashing with an empty key.
#}
{% macro person_pseudonym(id_number) -%}
    encode(
        hmac(
            cast({{ id_number }} as text),
            current_setting('fangpin.pseudonym_key'),
            'sha256'
        ),
        'hex'
    )
{%- endmacro %}


{# First 6 and last 4 characters kept, the rest '*' (docs/contract/MARTS.md): 142701********123X. #}
{% macro mask_id(id_number) -%}
    case
        when length({{ id_number }}) > 10
            then left({{ id_number }}, 6) || repeat('*', length({{ id_number }}) - 10) || right({{ id_number }}, 4)
        else repeat('*', length({{ id_number }}))
    end
{%- endmacro %}


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
