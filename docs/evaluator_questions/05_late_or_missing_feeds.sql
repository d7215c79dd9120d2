-- Q5. Which departmental feeds arrived late, or not at all?
-- 哪些部门数据逾期报送或未报送？
-- A feed is on time when its files landed by day due_day (5) of the next month (Beijing
-- time). Landing time, not load time: a backfill would make everything late. Every built
-- month, latest first.

with

final as (

    select
        month,
        feed,
        feed_name_zh,
        delivery_status,
        arrived,
        arrived_at,
        due_date,
        days_late,
        rows_loaded,
        coverage
    from marts.mart_feed_reporting
    where not on_time

)

select * from final
order by month desc, arrived desc, days_late desc nulls last, feed
