-- Months (月份) the marts hold: one row per month, with when it was last built and by which
-- run. Every month up to var('month') and every later month already published (a rebuild of
-- an old month keeps them: macros/months/in_built_or_published.sql). built_at is null for a month built
-- before build times were recorded.

with

built as (

    select distinct month
    from {{ ref('int_feed_coverage_month') }}
    where {{ in_built_or_published() }}

),

builds as (

    select * from {{ ref('int_month_build') }}

),

final as (

    select
        built.month,
        builds.built_at,
        builds.run_id as built_by_run_id,
        built.month = {{ build_month() }} as is_build_month
    from built
    left join builds
        on builds.month = built.month

)

select * from final
