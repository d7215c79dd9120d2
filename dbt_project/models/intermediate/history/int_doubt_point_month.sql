{{ config(incremental_predicates=history_predicates()) }}

-- Registry doubt points history (疑点, incremental by month): one row per household, month and
-- doubt code of docs/contract/RULES.md that is raised. A run replaces exactly var('month'), so
-- mart_doubt_point copies these few rows instead of unpivoting every household-month.

with

history as (

    select * from {{ ref('int_household_month') }}
    {{ history_filter() }}

),

doubt_points as (

    select
        history.month,
        history.household_id,
        history.county_code,
        history.village_code,
        doubt.code,
        doubt.is_raised
    from history
    {{ unpivot_flags(
        'history',
        domain_columns('doubt_points'),
        'doubt', value_name='is_raised', prefix='dp_'
    ) }}

),

final as (

    select
        month,
        household_id,
        county_code,
        village_code,
        code
    from doubt_points
    where is_raised

)

select * from final
