{#
  The eight departmental feeds of docs/contract/FEEDS.md, the staging model that holds each one's
  deduplicated snapshots, and how its records link to the registered population
  (docs/contract/RULES.md): registry (the registry itself), person (id number of a member), head (id
  number of a household's head), village (village code). Feed names are the contract of the outside
  world, not policy.
#}
{% macro fangpin_feeds() -%}
    {{ return([
        {'feed': 'registry_households', 'model': 'stg_registry_households__households', 'link': 'registry'},
        {'feed': 'registry_members', 'model': 'stg_registry_members__members', 'link': 'registry'},
        {'feed': 'education', 'model': 'stg_education__student_status', 'link': 'person'},
        {'feed': 'medical', 'model': 'stg_medical__enrolments', 'link': 'person'},
        {'feed': 'housing', 'model': 'stg_housing__appraisals', 'link': 'head'},
        {'feed': 'water', 'model': 'stg_water__inspections', 'link': 'village'},
        {'feed': 'employment', 'model': 'stg_employment__jobs', 'link': 'person'},
        {'feed': 'social_assistance', 'model': 'stg_social_assistance__assistance', 'link': 'person'},
    ]) }}
{%- endmacro %}
