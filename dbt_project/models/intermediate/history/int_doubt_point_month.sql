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
    cross join lateral (
        values
            ('ELIMINATED_TOO_SOON', history.dp_eliminated_too_soon),
            ('ELIMINATED_BELOW_LINE', history.dp_eliminated_below_line),
            ('AT_RISK_WITHOUT_CAUSE', history.dp_at_risk_without_cause),
            ('MONITORED_WITHOUT_DATE', history.dp_monitored_without_date),
            ('EMPLOYMENT_CAUSE_NO_LABOUR', history.dp_employment_cause_no_labour),
            ('TYPE_STATUS_MISMATCH', history.dp_type_status_mismatch)
    ) as doubt (code, is_raised)

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
