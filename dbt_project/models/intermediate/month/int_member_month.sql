-- One row per registered member and month built: age at period_end and what each
-- departmental feed says about the person, linked by id number. This feeds both the household
-- signals (int_household_month) and the member-level rates of the county scorecard.
-- A feed absent for the month leaves its facts null (education: no record).

with

context as (

    select * from {{ ref('int_month_context') }}

),

members as (

    select * from {{ ref('int_registry_members_month') }}
    where not is_orphan

),

{{ import_ctes({
    'education': ref('int_education_month'), 'medical': ref('int_medical_month'),
    'employment': ref('int_employment_month'), 'assistance': ref('int_assistance_month'),
}) }}

aged as (

    select
        members.*,
        context.year,
        {{ age_in_years('members.birth_date', 'context.period_end') }} as age,
        context.compulsory_age_min,
        context.compulsory_age_max,
        context.working_age_min,
        context.working_age_max,
        context.medical_present,
        context.employment_present,
        context.social_assistance_present
    from members
    inner join context
        on context.month = members.month

),

final as (

    select
        aged.month,
        aged.household_id,
        aged.id_number,
        {{ person_pseudonym('aged.id_number') }} as person_key,
        aged.relation,
        aged.labour_capacity,
        aged.health,
        aged.birth_date,
        aged.sex,
        aged.age,
        coalesce(aged.age between aged.compulsory_age_min and aged.compulsory_age_max, false)
            as is_compulsory_age,
        coalesce(aged.age between aged.working_age_min and aged.working_age_max, false)
            as is_working_age,
        coalesce(aged.labour_capacity in ('skilled', 'ordinary'), false) as is_labour_force,
        coalesce(aged.labour_capacity in ('skilled', 'ordinary', 'weak'), false)
            as has_labour_capacity,
        education.status as education_status,
        education.id_number is not null as has_education_record,
        coalesce(education.status in ('enrolled', 'home_schooling', 'suspended'), false)
            as is_in_school,
        coalesce(education.status = 'dropped_out', false) as has_dropped_out,
        medical.enrollment_status as medical_enrollment_status,
        case
            when aged.medical_present then coalesce(medical.enrollment_status = 'active', false)
        end as has_active_medical,
        case
            when aged.medical_present then coalesce(medical.out_of_pocket_yuan, 0)
        end as out_of_pocket_yuan,
        case
            when aged.employment_present then coalesce(employment.is_employed, false)
        end as is_employed,
        case
            when aged.social_assistance_present then coalesce(assistance.has_dibao_or_tekun, false)
        end as has_dibao_or_tekun
    from aged
    left join education
        on education.month = aged.month
        and education.id_number = aged.id_number
    left join medical
        on medical.month = aged.month
        and medical.id_number = aged.id_number
        and medical.coverage_year = aged.year
    left join employment
        on employment.month = aged.month
        and employment.id_number = aged.id_number
    left join assistance
        on assistance.month = aged.month
        and assistance.id_number = aged.id_number

)

select * from final
