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
