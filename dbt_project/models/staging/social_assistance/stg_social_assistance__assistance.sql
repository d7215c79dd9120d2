-- Minimum living guarantee and relief (民政厅 社会救助): every record is kept; whether it is
-- in force is a question of the month, answered in int_member_month.

with

source as (

    select * from {{ source('raw', 'social_assistance') }}

),

final as (

    select
        cast(_snapshot_month as date) as snapshot_month,
        cast(id_number as text) as id_number,
        cast(name as text) as person_name,
        cast(assistance_type as text) as assistance_type,
        cast(monthly_amount_yuan as numeric(14, 2)) as monthly_amount_yuan,
        cast(start_on as date) as start_on,
        cast(end_on as date) as end_on,
        cast(_load_id as bigint) as load_id,
        cast(_source_file as text) as source_file,
        cast(_source_line as bigint) as source_line
    from source

)

select * from final
