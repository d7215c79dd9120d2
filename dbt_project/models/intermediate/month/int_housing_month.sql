-- House safety (住房安全) in the housing snapshot each month uses: each householder's latest
-- appraisal (staging), one row per householder id number and month.

with

appraisals as (

    {{ snapshot_rows_by_month('housing', 'stg_housing__appraisals') }}

),

final as (

    select
        month,
        snapshot_month,
        householder_id_number,
        village_code,
        appraisal_date,
        safety_grade,
        disaster_damaged,
        rectification_status
    from appraisals

)

select * from final
