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
        relocated
    from households

)

select * from final
