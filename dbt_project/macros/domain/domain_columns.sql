{#
  The columns that hold one kind of the domain's codes, in their declared order
  (macros/domain/fangpin_domain.sql, generated from include/fangpin/domain/codes.py):
  domain_columns('signals') -> ['sig_edu_dropout', ...]; with `flag`, only the items that have
  it: domain_columns('signals', 'problem') -> the signals that open a problem. Lists of codes
  in models come from here, so a new signal or doubt point is one declaration.
#}
{% macro domain_columns(kind, flag=none) -%}
    {%- set items = fangpin_domain()[kind] -%}
    {%- if flag is not none -%}
        {%- set items = items | selectattr(flag) | list -%}
    {%- endif -%}
    {{ return(items | map(attribute='column') | list) }}
{%- endmacro %}
