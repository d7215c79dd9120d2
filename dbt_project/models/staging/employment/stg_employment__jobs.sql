-- Labour and employment (人社厅 脱贫劳动力务工就业): every row counts (several jobs per person
-- are several rows), so nothing is deduplicated.

with

source as (

    select * from {{ source('raw', 'employment') }}

),

final as (

    select
        {{ staging_columns('employment') }}
    from source

)

select * from final
