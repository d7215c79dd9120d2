{#
  The month being built, var('month'), as a SQL date literal. The var must be the first day
  of a month (YYYY-MM-01): a wrong value stops the build before anything is written.
#}
{% macro build_month() -%}
    {%- set value = var('month') | string -%}
    {%- if not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])-01$', value) -%}
        {{ exceptions.raise_compiler_error(
            "var 'month' must be the first day of a month (YYYY-MM-01), got '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}
