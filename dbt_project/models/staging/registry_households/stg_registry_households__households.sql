-- Registry households (防返贫监测信息系统 户信息), one row per household per snapshot month.
-- household_id is unique in a snapshot by contract; should a snapshot hold it twice, the row
-- delivered last (highest load, then file name, then line) is kept.

with

source as (

    select * from {{ source('raw', 'registry_households') }}

),

renamed as (

    select
        {{ staging_columns('registry_households', {
            'household_id': household_key('cast(household_id as text)'),
            'risk_causes': "nullif(trim(cast(risk_causes as text)), '')",
        }) }}
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
        {{ staging_column_names('registry_households') }}
    from ranked
    where delivery_rank = 1

)

select * from final
