-- Each person's study status (就读状态) in the education snapshot each month uses: one row per
-- id number and month, registered or not (staging keeps the latest status_date per person).

with

student_status as (

    {{ snapshot_rows_by_month('education', 'stg_education__student_status') }}

),

final as (

    select
        month,
        snapshot_month,
        id_number,
        stage,
        status,
        status_date
    from student_status

)

select * from final
