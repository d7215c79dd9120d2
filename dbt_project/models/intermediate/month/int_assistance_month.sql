-- Social assistance (社会救助) in the snapshot each month uses: one row per id number and month,
-- with how many records the person has and whether a `dibao` or `tekun` record is in force in
-- the month (start_on on or before its last day, end_on empty or on or after its first day).

with

context as (

    select month, period_start, period_end from {{ ref('int_month_context') }}

),

assistance as (

    {{ snapshot_rows_by_month('social_assistance', 'stg_social_assistance__assistance') }}

),

final as (

    select
        assistance.month,
        assistance.snapshot_month,
        assistance.id_number,
        count(*) as assistance_records,
        coalesce(
            bool_or(
                assistance.assistance_type in ('dibao', 'tekun')
                and assistance.start_on <= context.period_end
                and (assistance.end_on is null or assistance.end_on >= context.period_start)
            ),
            false
        ) as has_dibao_or_tekun
    from assistance
    inner join context
        on context.month = assistance.month
    group by assistance.month, assistance.snapshot_month, assistance.id_number

)

select * from final
