{{ config(incremental_predicates=history_predicates()) }}

-- When each month of the history was last built, and by which run (var('run_id'), the DAG
-- run or `fangpin run` run that built it; null for a dbt build by hand). Incremental by
-- month like the history it describes: a build replaces var('month') only, so the earlier
-- and later months keep the time they were built. marts.dim_month publishes it.

with

context as (

    select month from {{ ref('int_month_context') }}
    {{ history_filter() }}

),

final as (

    select
        month,
        cast(nullif('{{ var("run_id", "") }}', '') as text) as run_id,
        cast(now() as timestamptz) as built_at
    from context

)

select * from final
