-- Medical insurance enrolment and spending (医保局 参保及费用): one row per person and
-- coverage year per snapshot month. Where a snapshot has several, an `active` row wins, then the
-- highest total_expense_yuan (docs/contract/FEEDS.md), then the row delivered last.

with

source as (

    select * from {{ source('raw', 'medical') }}

),

renamed as (

    select
        cast(_snapshot_month as date) as snapshot_month,
        cast(id_number as text) as id_number,
        cast(name as text) as person_name,
        cast(coverage_year as integer) as coverage_year,
        cast(scheme as text) as scheme,
        cast(enrollment_status as text) as enrollment_status,
        cast(chronic_outpatient as boolean) as chronic_outpatient,
        cast(total_expense_yuan as numeric(14, 2)) as total_expense_yuan,
        cast(reimbursed_yuan as numeric(14, 2)) as reimbursed_yuan,
        cast(out_of_pocket_yuan as numeric(14, 2)) as out_of_pocket_yuan,
        cast(_load_id as bigint) as load_id,
        cast(_source_file as text) as source_file,
        cast(_source_line as bigint) as source_line
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
        snapshot_month,
        id_number,
        person_name,
        coverage_year,
        scheme,
        enrollment_status,
        chronic_outpatient,
        total_expense_yuan,
        reimbursed_yuan,
        out_of_pocket_yuan,
        load_id,
        source_file,
        source_line
    from ranked
    where enrolment_rank = 1

)

select * from final
