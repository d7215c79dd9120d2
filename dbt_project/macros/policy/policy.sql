{#
  The policy table in force (RULES.md "Policy parameters"): the bureau's own, imported by
  `fangpin policy import` into policy.<name>, when there is one; else the shipped seed.

  ref(name) is always called, so the model depends on the seed in dbt's graph (seeds build
  first) whether or not an import overrides it. Whether policy.<name> exists is asked when the
  model runs, so an import takes effect at the next build of a month.
#}
{% macro policy(name) -%}
    {%- set shipped = ref(name) -%}
    {%- if execute -%}
        {%- set imported = adapter.get_relation(
            database=shipped.database, schema='policy', identifier=name) -%}
        {%- if imported is not none -%}
            {{ return(imported) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(shipped) }}
{%- endmacro %}
