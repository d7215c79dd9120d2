-- Medical insurance enrolment and spending (医保局 参保及费用): one row per person and
-- coverage year per snapshot month. Where a snapshot has several, an `active` row wins, then the
-- highest total_expense_yuan (docs/contract/FEEDS.md), then the row delivered last.

with

source as (

    select * from {{ source('raw', 'medical') }}

),

renamed as (

    select
        {{ staging_columns('medical') }}
    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by snapshot_month, id_number, coverage_year
            order by
                enrollment_status = 'active' desc,
                total_expense_yuan desc nulls last,
                load_id desc,
                source_file desc,
                source_line desc
        ) as enrolment_rank
    from renamed

),

final as (

    select
        {{ staging_column_names('medical') }}
    from ranked
    where enrolment_rank = 1

)

select * from final
