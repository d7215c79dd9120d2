{#
  The history models whose absence means the history has to be rebuilt (rebuild_history), the
  first one the relation whose months a rebuild recomputes (history_relation). int_month_build,
  also in models/intermediate/history/, is not among them: it records when a month was built.
  Nor are int_problem_month and int_county_score_month: they read only the history (and each
  other), so when one is missing its own full build computes every month the history holds,
  and the month/ models need not recompute them.
#}
{% macro history_models() -%}
    {{ return([
        'int_household_month', 'int_feed_linkage_month', 'int_orphan_member_month',
        'int_feed_coverage_month', 'int_feed_target_month', 'int_field_sample_draw',
        'int_field_sample_head', 'int_doubt_point_month',
    ]) }}
{%- endmacro %}
