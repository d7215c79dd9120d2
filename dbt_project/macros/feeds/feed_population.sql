{#
  Whom the records of `feed` are about, by how the feed links to the registered population
  (fangpin_feeds(), docs/contract/RULES.md "Who is counted"), as the models that count links and
  coverage name it: `basis` (the coverage basis), `population` (the CTE of the month's
  registered units: households, registered_people, registered_heads, registered_villages; see
  registered_heads_and_villages()), `key` (its column) and `record_key` (the column of a
  delivered record that must equal it). The registry feeds are the population itself.
#}
{% macro feed_population(feed) -%}
    {%- set by_link = {
        'person': {'basis': 'people', 'population': 'registered_people', 'key': 'id_number',
                   'record_key': 'id_number'},
        'head': {'basis': 'household_heads', 'population': 'registered_heads', 'key': 'head_id_number',
                 'record_key': 'householder_id_number'},
        'village': {'basis': 'villages', 'population': 'registered_villages', 'key': 'village_code',
                    'record_key': 'village_code'},
    } -%}
    {%- if feed == 'registry_households' -%}
        {{ return({'basis': 'households', 'population': 'households', 'key': 'household_id',
                   'record_key': 'household_id'}) }}
    {%- elif feed == 'registry_members' -%}
        {{ return(by_link['person']) }}
    {%- endif -%}
    {%- set link = (fangpin_feeds() | selectattr('feed', 'equalto', feed) | first).link -%}
    {{ return(by_link[link]) }}
{%- endmacro %}
