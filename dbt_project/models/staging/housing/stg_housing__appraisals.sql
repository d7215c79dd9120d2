-- Rural house safety appraisal (住建厅 农村房屋安全鉴定): the latest appraisal_date per
-- householder counts (docs/contract/FEEDS.md); equal dates keep the row delivered last. One row per
-- householder id number per snapshot month.

with

source as (

    select * from {{ source('raw', 'housing') }}

),

renamed as (

    select
        {{ staging_columns('housing', {'disaster_damaged': 'coalesce(cast(disaster_damaged as boolean), false)'}) }}
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
        {{ staging_column_names('housing') }}
    from ranked
    where appraisal_rank = 1

)

select * from final
