-- 户月事实表: one row per registered household and month. Published as a table partitioned by
-- month: this build holds only the months to publish (var('month'), and any earlier month not
-- published yet: macros/months/months_to_publish.sql), read from the incremental history
-- int_household_month; the publish attaches each as its month's partition of
-- marts.fct_household_month (fangpin.publish.partitions), and the published months before it
-- are never copied or rewritten. No plain id numbers or names: the head appears as a masked id
-- and a keyed pseudonym.

with

history as (

    select * from {{ ref('int_household_month') }}
    where {{ months_to_publish() }}

),

final as (

    select
        month,
        household_id,
        county_code,
        city_code,
        village_code,
        head_id_masked,
        head_person_key,
        member_count,
        per_capita_net_income,
        household_income_yuan,
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
        missed_identification,
        relapse_after_elimination,
        compulsory_age_members,
        compulsory_age_in_school,
        insured_members,
        working_age_labour,
        working_age_labour_employed,
        out_of_pocket_yuan,
        monitoring_threshold_yuan,
        dibao_standard_yuan,
        registry_snapshot_month,
        education_present,
        medical_present,
        housing_present,
        water_present,
        employment_present,
        social_assistance_present
    from history

)

select * from final
