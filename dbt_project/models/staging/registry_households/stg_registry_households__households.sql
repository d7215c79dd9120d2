-- Registry households (防返贫监测信息系统 户信息), one row per household per snapshot month.
-- household_id is unique in a snapshot by contract; should a snapshot hold it twice, the row
-- delivered last (highest load, then file name, then line) is kept.

with

source as (

    select * from {{ source('raw', 'registry_households') }}

),

renamed as (

    select
        cast(_snapshot_month as date) as snapshot_month,
        {{ household_key("cast(household_id as text)") }} as household_id,
        cast(county_code as text) as county_code,
        cast(village_code as text) as village_code,
        cast(head_id_number as text) as head_id_number,
        cast(household_type as text) as household_type,
        cast(monitoring_type as text) as monitoring_type,
        cast(monitoring_status as text) as monitoring_status,
        cast(identified_on as date) as identified_on,
        cast(eliminated_on as date) as eliminated_on,
        nullif(trim(cast(risk_causes as text)), '') as risk_causes,
        cast(per_capita_net_income as numeric(14, 2)) as per_capita_net_income,
        cast(relocated as boolean) as relocated,
        cast(_load_id as bigint) as load_id,
        cast(_source_file as text) as source_file,
        cast(_source_line as bigint) as source_line
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by snapshot_month, household_id
            order by load_id desc, source_file desc, source_line desc
        ) as delivery_rank
    from renamed

),

final as (

    select
        snapshot_month,
        household_id,
        county_code,
        village_code,
        head_id_number,
        household_type,
        monitoring_type,
        monitoring_status,
        identified_on,
        eliminated_on,
        risk_causes,
        per_capita_net_income,
        relocated,
        load_id,
        source_file,
        source_line
    from ranked
    where delivery_rank = 1

)

select * from final
