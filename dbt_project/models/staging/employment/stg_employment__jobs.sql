-- Labour and employment (人社厅 脱贫劳动力务工就业): every row counts (several jobs per person
-- are several rows), so nothing is deduplicated.

with

source as (

    select * from {{ source('raw', 'employment') }}

),

final as (

    select
        cast(_snapshot_month as date) as snapshot_month,
        cast(id_number as text) as id_number,
        cast(name as text) as person_name,
        cast(employment_status as text) as employment_status,
        cast(work_location as text) as work_location,
        cast(months_employed as integer) as months_employed,
        cast(monthly_income_yuan as numeric(14, 2)) as monthly_income_yuan,
        cast(_load_id as bigint) as load_id,
        cast(_source_file as text) as source_file,
        cast(_source_line as bigint) as source_line
    from source

)

select * from final
