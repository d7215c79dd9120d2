-- One row per month this run builds: the months whose registry is in reach, with their period,
-- the policy parameters and the year-keyed amounts that apply, and which feeds are present.
-- A year not yet in a year-keyed seed uses the latest year that is; a year before the first
-- uses the earliest (docs/RULES_READING.md).

with
{{ import_ctes({
    'feed_snapshots': ref('int_feed_snapshot_month'), 'policy_parameters': policy('policy_parameters'),
    'monitoring_thresholds': policy('monitoring_thresholds'), 'dibao_standards': policy('dibao_standards'),
}) }}

feed_presence as (

    select
        month,
        bool_and(is_present) filter (
            where feed in ('{{ registry_feeds() | join("', '") }}')  -- noqa: LT05
        ) as registry_present,
        {%- for item in fangpin_feeds() if item.feed not in registry_feeds() %}
        bool_or(is_present) filter (where feed = '{{ item.feed }}') as {{ item.feed }}_present,
        {%- endfor %}
        count(*) filter (where is_present) as present_feeds
    from feed_snapshots
    group by month

),

built_months as (

    select
        month,
        month as period_start,
        cast(month + interval '1 month' - interval '1 day' as date) as period_end,
        cast(extract(year from month) as integer) as year,
        {%- for item in fangpin_feeds() if item.feed not in registry_feeds() %}
        {{ item.feed }}_present,
        {%- endfor %}
        present_feeds
    from feed_presence
    where registry_present

),

parameters as (

    select
        max(value) filter (where parameter = 'medical_burden_ratio') as medical_burden_ratio,
        cast(max(value) filter (where parameter = 'compulsory_age_min') as integer) as compulsory_age_min,
        cast(max(value) filter (where parameter = 'compulsory_age_max') as integer) as compulsory_age_max,
        cast(max(value) filter (where parameter = 'working_age_min') as integer) as working_age_min,
        cast(max(value) filter (where parameter = 'working_age_max') as integer) as working_age_max,
        cast(max(value) filter (where parameter = 'min_months_before_elimination') as integer)
            as min_months_before_elimination
    from policy_parameters

),

{% for choice, table in [('threshold', 'monitoring_thresholds'), ('dibao', 'dibao_standards')] %}
{{ choice }}_choices as (

    select
        built_months.month,
        {{ table }}.yuan,
        {{ year_choice_rank('built_months.month', 'built_months.year', table ~ '.year') }} as choice_rank
    from built_months
    cross join {{ table }}

),

{% endfor -%}
final as (

    select
        built_months.month,
        built_months.period_start,
        built_months.period_end,
        built_months.year,
        threshold_choices.yuan as monitoring_threshold_yuan,
        dibao_choices.yuan as dibao_standard_yuan,
        parameters.medical_burden_ratio,
        parameters.compulsory_age_min,
        parameters.compulsory_age_max,
        parameters.working_age_min,
        parameters.working_age_max,
        parameters.min_months_before_elimination,
        {%- for item in fangpin_feeds() if item.feed not in registry_feeds() %}
        coalesce(built_months.{{ item.feed }}_present, false) as {{ item.feed }}_present,
        {%- endfor %}
        built_months.present_feeds
    from built_months
    cross join parameters
    left join threshold_choices
        on threshold_choices.month = built_months.month
        and threshold_choices.choice_rank = 1
    left join dibao_choices
        on dibao_choices.month = built_months.month
        and dibao_choices.choice_rank = 1

)

select * from final
