-- Drinking water safety (饮水安全) per village in the water snapshot each month uses: a village
-- is unsafe when any of its projects fails quantity, quality, convenience or reliability, or
-- has a hidden danger whose rectification is not `done`. One row per village and month.

with

inspections as (

    {{ snapshot_rows_by_month('water', 'stg_water__inspections') }}

),

final as (

    select
        month,
        snapshot_month,
        village_code,
        count(*) as projects,
        bool_or(
            quantity_ok is false
            or quality_ok is false
            or convenience_ok is false
            or reliability_ok is false
            or (hidden_danger is true and rectification_status is distinct from 'done')
        ) as is_unsafe
    from inspections
    group by month, snapshot_month, village_code

)

select * from final
