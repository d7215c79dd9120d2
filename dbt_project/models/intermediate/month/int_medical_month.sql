-- Medical enrolments (参保) in the medical snapshot each month uses: one row per id number,
-- coverage year and month (staging has already picked active, then highest expense). The
-- members' facts take the month's year from it.

with

enrolments as (

    {{ snapshot_rows_by_month('medical', 'stg_medical__enrolments') }}

),

final as (

    select
        month,
        snapshot_month,
        id_number,
        coverage_year,
        scheme,
        enrollment_status,
        total_expense_yuan,
        out_of_pocket_yuan
    from enrolments

)

select * from final
