{#
  The eight departmental feeds of docs/contract/FEEDS.md, the staging model that holds each one's
  deduplicated snapshots, and how its records link to the registered population
  (docs/contract/RULES.md): registry (the registry itself), person (id number of a member), head (id
  number of a household's head), village (village code). Feed names are the contract of the outside
  world, not policy. Declared in include/fangpin/domain/codes.py (see fangpin_domain()).
#}
{% macro fangpin_feeds() -%}
    {{ return(fangpin_domain().feeds) }}
{%- endmacro %}
