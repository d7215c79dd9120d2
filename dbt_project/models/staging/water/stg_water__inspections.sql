-- Rural water supply inspection (水利厅 农村供水工程核查): one row per village and project
-- per snapshot month; a project inspected twice in one snapshot keeps its latest inspection
-- (then the row delivered last). A village may have several projects: all of them count.

with

source as (

    select * from {{ source('raw', 'water') }}

),

renamed as (

    select
        {{ staging_columns('water') }}
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by snapshot_month, village_code, project_id
            order by inspected_on desc nulls last, load_id desc, source_file desc, source_line desc
        ) as inspection_rank
    from renamed

),

final as (

    select
        {{ staging_column_names('water') }}
    from ranked
    where inspection_rank = 1

)

select * from final
