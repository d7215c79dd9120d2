-- Feed reporting (报送及时率): one row per feed and built month, the feeds that did not arrive
-- included (arrived false). For the delivery of month M: whether it arrived, when, whether on
-- time, how many rows were loaded and quarantined, and the share of month M's registered
-- population it covers; how many of its files were rejected, and which snapshot month the
-- month was built from (snapshot_month_in_force: the month itself, an earlier delivery kept in
-- force when the month's was rejected or did not arrive, or null when the feed is absent).
--
-- The snapshot in force follows int_feed_snapshot_month's rule (RULES.md "Time": the latest
-- snapshot at or before the month, at most feed_max_age_months older), over the current
-- deliveries that loaded rows (a delivery whose every row was set aside leaves no snapshot in
-- raw). It is worked out here for every built month from ops.feed_delivery, which is small,
-- rather than kept per month: a month is rebuilt whenever an earlier delivery changes.
--
-- On time means arrived_at (the landing time of the delivery's files, which the loader records
-- from the file) is on or before day `due_day` (policy_parameters) of the next month, in the
-- province's time zone (evaluation_parameters.due_timezone). It is not the load time: a
-- backfill loads historical months long after their files landed and would make every one of
-- them late. first_loaded_at is reported beside it for the data engineers.
--
-- Coverage basis per feed: registry_households → registered households; registry_members and
-- the person feeds (education, medical, employment, social_assistance) → registered people
-- (non-orphan members); housing → registered household heads; water → villages with
-- registered households. A feed that did not arrive covers nobody: coverage 0. Beside it, the
-- coverage of the population the feed should cover (target_population, target_coverage:
-- education members of compulsory-education age, employment working-age skilled or ordinary
-- labour, the others their basis, social assistance none), int_feed_target_month's. The
-- registered and covered counts of each month are computed once, when the month is built, by the
-- incremental int_feed_coverage_month and int_feed_target_month; this mart only joins them to
-- the deliveries.

with

policy as (

    select
        cast(max(value) filter (where parameter = 'due_day') as integer) as due_day,
        cast(max(value) filter (where parameter = 'feed_max_age_months') as integer)
            as feed_max_age_months
    from {{ policy('policy_parameters') }}

),

settings as (

    {{ parameter_value(ref('evaluation_parameters'), 'due_timezone', 'text') }}

),

coverage as (

    select
        coverage.month,
        coverage.feed,
        coverage.registered,
        coverage.covered,
        targets.target_population,
        targets.target_registered,
        targets.target_covered
    from {{ ref('int_feed_coverage_month') }} as coverage
    left join {{ ref('int_feed_target_month') }} as targets
        on targets.month = coverage.month
        and targets.feed = coverage.feed
    where {{ in_built_or_published('coverage.month') }}

),

built_months as (

    select distinct month
    from coverage

),

feeds as (

    select feed, feed_name_zh, coverage_basis, feed_order
    from (
        values
            ('registry_households', '防返贫监测信息系统 户信息', 'households', 1),
            ('registry_members', '防返贫监测信息系统 户成员信息', 'people', 2),
            ('education', '教育厅 学籍信息', 'people', 3),
            ('medical', '医保局 参保及费用', 'people', 4),
            ('housing', '住建厅 农村房屋安全鉴定', 'household_heads', 5),
            ('water', '水利厅 农村供水工程核查', 'villages', 6),
            ('employment', '人社厅 脱贫劳动力务工就业', 'people', 7),
            ('social_assistance', '民政厅 社会救助', 'people', 8)
    ) as feed_list (feed, feed_name_zh, coverage_basis, feed_order)

),

deliveries as (

    select * from {{ source('ops', 'feed_delivery') }}

),

snapshots_in_force as (

    select
        built_months.month,
        deliveries.feed,
        max(deliveries.month) as snapshot_month_in_force
    from built_months
    cross join policy
    inner join deliveries
        on deliveries.month <= built_months.month
        and deliveries.status = 'loaded'
        and deliveries.rows_loaded > 0
        and {{ months_between('built_months.month', 'deliveries.month') }}
            <= policy.feed_max_age_months
    group by built_months.month, deliveries.feed

),

feed_months as (

    select
        built_months.month,
        feeds.feed,
        feeds.feed_name_zh,
        feeds.feed_order,
        feeds.coverage_basis,
        coalesce(deliveries.status = 'loaded', false) as arrived,
        coalesce(deliveries.status, 'missing') as delivery_status,
        deliveries.arrived_at,
        deliveries.first_loaded_at,
        cast(
            built_months.month + interval '1 month' + (policy.due_day - 1) * interval '1 day'
            as date
        ) as due_date,
        cast(deliveries.arrived_at at time zone settings.due_timezone as date) as arrived_on,
        coalesce(deliveries.files, 0) as files,
        coalesce(deliveries.rows_loaded, 0) as rows_loaded,
        coalesce(deliveries.rows_quarantined, 0) as rows_quarantined,
        coalesce(deliveries.files_rejected, 0) as files_rejected,
        deliveries.pending_rejection as last_rejection,
        snapshots_in_force.snapshot_month_in_force,
        coalesce(coverage.covered, 0) as covered,
        coalesce(coverage.registered, 0) as registered,
        coverage.target_population,
        coverage.target_registered,
        coverage.target_covered
    from built_months
    cross join feeds
    cross join policy
    cross join settings
    left join deliveries
        on deliveries.month = built_months.month
        and deliveries.feed = feeds.feed
    left join coverage
        on coverage.month = built_months.month
        and coverage.feed = feeds.feed
    left join snapshots_in_force
        on snapshots_in_force.month = built_months.month
        and snapshots_in_force.feed = feeds.feed

),

measured as (

    select
        *,
        arrived and arrived_on <= due_date as on_time,
        case when arrived then greatest(arrived_on - due_date, 0) end as days_late,
        round(
            cast(rows_quarantined as numeric) / nullif(rows_loaded + rows_quarantined, 0),
            {{ var('rate_decimals') }}
        ) as quarantine_share,
        case
            when registered > 0 then round(
                cast(case when arrived then covered else 0 end as numeric) / registered,
                {{ var('rate_decimals') }}
            )
        end as coverage,
        case
            when target_registered > 0 then round(
                cast(case when arrived then target_covered else 0 end as numeric)
                / target_registered,
                {{ var('rate_decimals') }}
            )
        end as target_coverage,
        row_number() over (partition by feed order by month) as month_index
    from feed_months

),

final as (

    select
        measured.month,
        measured.feed,
        measured.feed_name_zh,
        measured.feed_order,
        measured.arrived,
        measured.delivery_status,
        measured.arrived_at,
        measured.arrived_on,
        measured.first_loaded_at,
        measured.due_date,
        measured.on_time,
        measured.days_late,
        measured.files,
        measured.rows_loaded,
        measured.rows_quarantined,
        measured.quarantine_share,
        measured.coverage_basis,
        measured.registered,
        case when measured.arrived then measured.covered else 0 end as covered,
        measured.coverage,
        measured.target_population,
        measured.target_registered,
        case
            when measured.target_population is not null
                then case when measured.arrived then measured.target_covered else 0 end
        end as target_covered,
        measured.target_coverage,
        previous.month as previous_month,
        measured.coverage - previous.coverage as coverage_change,
        measured.rows_loaded - previous.rows_loaded as rows_loaded_change,
        previous.on_time as previous_on_time,
        measured.files_rejected,
        measured.last_rejection,
        measured.snapshot_month_in_force
    from measured
    left join measured as previous
        on previous.feed = measured.feed
        and previous.month_index = measured.month_index - 1

)

select * from final
