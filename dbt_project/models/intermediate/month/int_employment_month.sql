-- Employment (务工就业) in the employment snapshot each month uses: one row per id number and
-- month, with how many job rows the person has and whether any of them is other than
-- `unemployed` (every row counts, docs/contract/FEEDS.md).

with

jobs as (

    {{ snapshot_rows_by_month('employment', 'stg_employment__jobs') }}

),

final as (

    select
        month,
        snapshot_month,
        id_number,
        count(*) as job_records,
        bool_or(employment_status <> 'unemployed') as is_employed
    from jobs
    group by month, snapshot_month, id_number

)

select * from final
