-- Registry members (户成员信息), one row per person per snapshot month, with birth date and
-- sex derived from the id number. A person listed twice in a snapshot keeps the row delivered
-- last. Names stay here (staging) and go no further.

with

source as (

    select * from {{ source('raw', 'registry_members') }}

),

renamed as (

    select
        {{ staging_columns('registry_members', {'household_id': household_key('cast(household_id as text)')}) }}
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by snapshot_month, id_number
            order by load_id desc, source_file desc, source_line desc
        ) as delivery_rank
    from renamed

),

final as (

    select
        snapshot_month,
        household_id,
        id_number,
        person_name,
        relation,
        labour_capacity,
        health,
        {{ birth_date_from_id('id_number') }} as birth_date,
        {{ sex_from_id('id_number') }} as sex,
        load_id,
        source_file,
        source_line
    from ranked
    where delivery_rank = 1

)

select * from final
