-- docs/contract/RULES.md "Cross-city evaluation", the field sample: per key county and month, the
-- sample is sample_size households (or every household when the county has fewer), and holds every
-- missed identification up to half the sample. Returns the county-months that break it.

with

policy as (

    {{ parameter_value(policy('policy_parameters'), 'sample_size', 'integer') }}

),

sample as (

    select * from {{ ref('mart_field_sample') }}

),

facts as (

    select f.*
    from {{ ref('fct_household_month') }} as f
    inner join {{ ref('dim_county') }} as d
        on d.county_code = f.county_code
    where d.is_key_county

),

county_months as (

    select
        month,
        county_code,
        count(*) as households,
        count(*) filter (where missed_identification) as missed
    from facts
    group by month, county_code

),

sampled as (

    select
        month,
        county_code,
        count(*) as sampled,
        count(*) filter (where reason = 'missed_identification') as sampled_missed,
        bool_and(missed_identification) filter (where reason = 'missed_identification')
            as reasons_true
    from sample
    group by month, county_code

),

final as (

    select
        county_months.month,
        county_months.county_code,
        county_months.households,
        county_months.missed,
        coalesce(sampled.sampled, 0) as sampled,
        coalesce(sampled.sampled_missed, 0) as sampled_missed
    from county_months
    cross join policy
    left join sampled
        on sampled.month = county_months.month
        and sampled.county_code = county_months.county_code
    where coalesce(sampled.sampled, 0) <> least(policy.sample_size, county_months.households)
        or coalesce(sampled.sampled_missed, 0)
            <> least(county_months.missed, policy.sample_size / 2)
        or not coalesce(sampled.reasons_true, true)

)

select * from final
