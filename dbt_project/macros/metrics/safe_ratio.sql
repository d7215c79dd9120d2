{#
  A rate as the marts publish it: numerator / denominator as numeric, null when the denominator
  is 0 (a county with no one to count has no rate, not 0), rounded to `decimals` (var
  rate_decimals, the scorecard's presentation precision). complement=true gives 1 - the ratio
  (the identification rate is 1 - missed / households), rounded the same way.
#}
{% macro safe_ratio(numerator, denominator, decimals=none, complement=false) -%}
    round(
        {% if complement %}1 - {% endif %}cast({{ numerator }} as numeric) / nullif({{ denominator }}, 0),
        {{ decimals if decimals is not none else var('rate_decimals') }}
    )
{%- endmacro %}
