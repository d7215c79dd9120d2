-- Student status (教育厅 学籍信息): a person's status is the row with the latest status_date
-- of the snapshot (docs/contract/FEEDS.md); equal dates keep the row delivered last. One row per
-- person per snapshot month, registered or not (unregistered people are counted downstream).

with

source as (

    select * from {{ source('raw', 'education') }}

),

renamed as (

    select
        {{ staging_columns('education') }}
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by snapshot_month, id_number
            order by status_date desc nulls last, load_id desc, source_file desc, source_line desc
        ) as status_rank
    from renamed

),

final as (

    select
        {{ staging_column_names('education') }}
    from ranked
    where status_rank = 1

)

select * from final
