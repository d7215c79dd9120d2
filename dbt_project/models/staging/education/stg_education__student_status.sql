-- Student status (教育厅 学籍信息): a person's status is the row with the latest status_date
-- of the snapshot (docs/contract/FEEDS.md); equal dates keep the row delivered last. One row per
-- person per snapshot month, registered or not (unregistered people are counted downstream).

with

source as (

    select * from {{ source('raw', 'education') }}

),

renamed as (

    select
        cast(_snapshot_month as date) as snapshot_month,
        cast(id_number as text) as id_number,
        cast(name as text) as person_name,
        cast(school_code as text) as school_code,
        cast(school_name as text) as school_name,
        cast(stage as text) as stage,
        cast(status as text) as status,
        cast(status_date as date) as status_date,
        cast(subsidy_yuan as numeric(14, 2)) as subsidy_yuan,
        cast(_load_id as bigint) as load_id,
        cast(_source_file as text) as source_file,
        cast(_source_line as bigint) as source_line
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
        snapshot_month,
        id_number,
        person_name,
        school_code,
        school_name,
        stage,
        status,
        status_date,
        subsidy_yuan,
        load_id,
        source_file,
        source_line
    from ranked
    where status_rank = 1

)

select * from final
