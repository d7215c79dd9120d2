{{ config(incremental_predicates=history_predicates()) }}

-- The household-month history (one row per registered household and month built): every
-- household signal of docs/contract/RULES.md, the guarantees, should_monitor, missed
-- identification, relapse after elimination, the registry doubt points, and the member counts
-- behind the county rates. Incremental by month: a run replaces exactly var('month') and leaves the
-- other months as they are (see macros/history/rebuild_history.sql for a full refresh).

with

context as (

    select * from {{ ref('int_month_context') }}
    {{ history_filter() }}

),

households as (

    select * from {{ ref('int_registry_households_month') }}
    {{ history_filter() }}

),

members as (

    select * from {{ ref('int_member_month') }}
    {{ history_filter() }}

),

member_summary as (

    select
        month,
        household_id,
        count(*) as member_count,
        count(*) filter (where is_compulsory_age) as compulsory_age_members,
        count(*) filter (where is_compulsory_age and is_in_school) as compulsory_age_in_school,
        count(*) filter (where is_compulsory_age and has_dropped_out) as compulsory_age_dropped_out,
        count(*) filter (where is_compulsory_age and not has_education_record)
            as compulsory_age_without_record,
        count(*) filter (where has_active_medical) as insured_members,
        count(*) filter (where not has_active_medical) as uninsured_members,
        sum(out_of_pocket_yuan) as out_of_pocket_yuan,
        count(*) filter (where is_working_age and is_labour_force) as working_age_labour,
        count(*) filter (where is_working_age and is_labour_force and is_employed)
            as working_age_labour_employed,
        count(*) filter (where has_labour_capacity) as members_with_labour_capacity,
        count(*) filter (where has_dibao_or_tekun) as members_with_dibao_or_tekun
    from members
    group by month, household_id

),

head_appraisals as (

    select
        households.month,
        households.household_id,
        appraisals.safety_grade,
        appraisals.disaster_damaged,
        appraisals.rectification_status
    from households
    inner join {{ ref('int_housing_month') }} as appraisals
        on appraisals.month = households.month
        and appraisals.householder_id_number = households.head_id_number

),

village_water as (

    select * from {{ ref('int_water_month') }}
    {{ history_filter() }}

),

joined as (

    select
        households.*,
        context.year,
        context.monitoring_threshold_yuan,
        context.dibao_standard_yuan,
        context.medical_burden_ratio,
        context.min_months_before_elimination,
        context.education_present,
        context.medical_present,
        context.housing_present,
        context.water_present,
        context.employment_present,
        context.social_assistance_present,
        coalesce(member_summary.member_count, 0) as member_count,
        coalesce(member_summary.compulsory_age_members, 0) as compulsory_age_members,
        coalesce(member_summary.compulsory_age_in_school, 0) as compulsory_age_in_school,
        coalesce(member_summary.compulsory_age_dropped_out, 0) as compulsory_age_dropped_out,
        coalesce(member_summary.compulsory_age_without_record, 0) as compulsory_age_without_record,
        coalesce(member_summary.insured_members, 0) as insured_members,
        coalesce(member_summary.uninsured_members, 0) as uninsured_members,
        coalesce(member_summary.out_of_pocket_yuan, 0) as out_of_pocket_yuan,
        coalesce(member_summary.working_age_labour, 0) as working_age_labour,
        coalesce(member_summary.working_age_labour_employed, 0) as working_age_labour_employed,
        coalesce(member_summary.members_with_labour_capacity, 0) as members_with_labour_capacity,
        coalesce(member_summary.members_with_dibao_or_tekun, 0) as members_with_dibao_or_tekun,
        head_appraisals.household_id is not null as head_has_appraisal,
        head_appraisals.safety_grade as head_safety_grade,
        head_appraisals.disaster_damaged as head_disaster_damaged,
        head_appraisals.rectification_status as head_rectification_status,
        village_water.village_code is not null as village_has_water_record,
        coalesce(village_water.is_unsafe, false) as village_water_unsafe
    from households
    inner join context
        on context.month = households.month
    left join member_summary
        on member_summary.month = households.month
        and member_summary.household_id = households.household_id
    left join head_appraisals
        on head_appraisals.month = households.month
        and head_appraisals.household_id = households.household_id
    left join village_water
        on village_water.month = households.month
        and village_water.village_code = households.village_code

),

signals as (

    select
        *,
        compulsory_age_dropped_out > 0 as sig_edu_dropout,
        compulsory_age_without_record > 0 as sig_edu_unverified,
        medical_present and uninsured_members > 0 as sig_med_uninsured,
        not medical_present as sig_med_unverified,
        medical_present
            and coalesce(
                out_of_pocket_yuan > medical_burden_ratio * per_capita_net_income * member_count,
                false
            ) as sig_med_burden,
        coalesce(
            head_safety_grade in ('C', 'D')
            and head_rectification_status is distinct from 'done',
            false
        ) as sig_house_unsafe,
        not head_has_appraisal as sig_house_unverified,
        village_water_unsafe as sig_water_unsafe,
        not village_has_water_record as sig_water_unverified,
        coalesce(
            head_disaster_damaged and head_rectification_status is distinct from 'done',
            false
        ) as sig_disaster,
        employment_present
            and working_age_labour > 0
            and working_age_labour_employed = 0 as sig_job_none,
        coalesce(per_capita_net_income < monitoring_threshold_yuan, false) as sig_income_low,
        social_assistance_present
            and members_with_labour_capacity = 0
            and coalesce(per_capita_net_income < dibao_standard_yuan, false)
            and members_with_dibao_or_tekun = 0 as sig_safety_net_gap
    from joined

),

guarantees as (

    select
        *,
        {%- for guarantee in fangpin_domain().guarantees %}
        {%- set breaking = fangpin_domain().signals | selectattr('guarantee', 'equalto', guarantee.name) %}
        not ({{ breaking | map(attribute='column') | join(' or ') }}) as {{ guarantee.column }},  -- noqa: LT01, LT06
        {%- endfor %}
        (
            {{ signals_income_first() | selectattr('monitor') | map(attribute='column') | join('\n            or ') }}
        ) as should_monitor
    from signals

),

final as (

    select
        month,
        household_id,
        county_code,
        left(county_code, 4) as city_code,
        village_code,
        {{ person_pseudonym('head_id_number') }} as head_person_key,
        {{ mask_id('head_id_number') }} as head_id_masked,
        member_count,
        per_capita_net_income,
        per_capita_net_income * member_count as household_income_yuan,
        household_type,
        monitoring_type,
        monitoring_status,
        identified_on,
        eliminated_on,
        risk_causes,
        relocated,
        {%- for column in domain_columns('signals') + domain_columns('guarantees') %}
        {{ column }},
        {%- endfor %}
        should_monitor,
        should_monitor and (monitoring_status is distinct from 'at_risk') as missed_identification,
        should_monitor and coalesce(monitoring_status = 'eliminated', false)
            as relapse_after_elimination,
        coalesce(
            eliminated_on < identified_on + make_interval(months => min_months_before_elimination),
            false
        ) as dp_eliminated_too_soon,
        coalesce(monitoring_status = 'eliminated' and sig_income_low, false)
            as dp_eliminated_below_line,
        coalesce(monitoring_status = 'at_risk' and risk_causes is null, false)
            as dp_at_risk_without_cause,
        coalesce(monitoring_status in ('at_risk', 'eliminated') and identified_on is null, false)
            as dp_monitored_without_date,
        coalesce('unstable_employment' = any(string_to_array(risk_causes, ';')), false)
            and members_with_labour_capacity = 0 as dp_employment_cause_no_labour,
        coalesce((monitoring_type = 'none') <> (monitoring_status = 'not_monitored'), false)
            as dp_type_status_mismatch,
        compulsory_age_members,
        compulsory_age_in_school,
        case when medical_present then insured_members end as insured_members,
        working_age_labour,
        working_age_labour_employed,
        out_of_pocket_yuan,
        monitoring_threshold_yuan,
        dibao_standard_yuan,
        snapshot_month as registry_snapshot_month,
        education_present,
        medical_present,
        housing_present,
        water_present,
        employment_present,
        social_assistance_present
    from guarantees

)

select * from final
