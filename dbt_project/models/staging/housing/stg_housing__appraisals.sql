-- Rural house safety appraisal (住建厅 农村房屋安全鉴定): the latest appraisal_date per
-- householder counts (docs/contract/FEEDS.md); equal dates keep the row delivered last. One row per
-- householder id number per snapshot month.

with

source as (

    select * from {{ source('raw', 'housing') }}

),

renamed as (

    select
        cast(_snapshot_month as date) as snapshot_month,
        cast(village_code as text) as village_code,
        cast(householder_id_number as text) as householder_id_number,
        cast(appraisal_date as date) as appraisal_date,
        cast(safety_grade as text) as safety_grade,
        coalesce(cast(disaster_damaged as boolean), false) as disaster_damaged,
        cast(rectification_status as text) as rectification_status,
        cast(rectified_on as date) as rectified_on,
        cast(_load_id as bigint) as load_id,
        cast(_source_file as text) as source_file,
        cast(_source_line as bigint) as source_line
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by snapshot_month, householder_id_number
            order by appraisal_date desc nulls last, load_id desc, source_file desc, source_line desc
        ) as appraisal_rank
    from renamed

),

final as (

    select
        snapshot_month,
        village_code,
        householder_id_number,
        appraisal_date,
        safety_grade,
        disaster_damaged,
        rectification_status,
        rectified_on,
        load_id,
        source_file,
        source_line
    from ranked
    where appraisal_rank = 1

)

select * from final
