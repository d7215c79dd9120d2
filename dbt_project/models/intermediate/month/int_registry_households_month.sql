-- The registered households (登记户) of each month built (docs/contract/RULES.md "Who is counted"):
-- the registry_households snapshot the month uses.

with

households as (

    {{ snapshot_rows_by_month('registry_households', 'stg_registry_households__households') }}

),

final as (

    select
        month,
        snapshot_month,
        {{ feed_column_names('registry_households') }}
    from households

)

select * from final
