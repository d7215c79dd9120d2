{#
  Pre-hook of the models whose inputs are small views behind window filters: such inputs make
  the planner expect a row or two and choose nested loops that re-run a staging view per row
  (seconds for a few hundred rows); JIT compiles such queries for longer than they run. Both
  are switched off for the model's transaction only: every join of those models is an
  equality join that hashes well at any size. `{{ config(pre_hook=hash_joins_only()) }}`.
#}
{% macro hash_joins_only() -%}
    {{ return(["set local enable_nestloop = off", "set local jit = off"]) }}
{%- endmacro %}
