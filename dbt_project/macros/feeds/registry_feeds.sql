{# The feeds without which a month is not built: the registry exception of
   docs/contract/RULES.md "Time". #}
{% macro registry_feeds() -%}
    {{ return(fangpin_feeds() | selectattr('link', 'equalto', 'registry') | map(attribute='feed') | list) }}
{%- endmacro %}
