-- Rural water supply inspection (水利厅 农村供水工程核查): one row per village and project
-- per snapshot month; a project inspected twice in one snapshot keeps its latest inspection
-- (then the row delivered last). A village may have several projects: all of them count.

with

source as (

    select * from {{ source('raw', 'water') }}

),

renamed as (

    select
        cast(_snapshot_month as date) as snapshot_month,
        cast(village_code as text) as village_code,
        cast(project_id as text) as project_id,
        cast(supply_mode as text) as supply_mode,
        cast(quantity_ok as boolean) as quantity_ok,
        cast(quality_ok as boolean) as quality_ok,
        cast(convenience_ok as boolean) as convenience_ok,
        cast(reliability_ok as boolean) as reliability_ok,
        cast(hidden_danger as boolean) as hidden_danger,
        cast(rectification_status as text) as rectification_status,
        cast(inspected_on as date) as inspected_on,
        cast(_load_id as bigint) as load_id,
        cast(_source_file as text) as source_file,
        cast(_source_line as bigint) as source_line
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
        snapshot_month,
        village_code,
        project_id,
        supply_mode,
        quantity_ok,
        quality_ok,
        convenience_ok,
        reliability_ok,
        hidden_danger,
        rectification_status,
        inspected_on,
        load_id,
        source_file,
        source_line
    from ranked
    where inspection_rank = 1

)

select * from final
