-- County scorecard (县级考核评分表), one row per county with registered households and per month
-- built up to var('month'): the counts, the seven rates of docs/contract/RULES.md, wrong-exit rate,
-- income median and growth, the weighted score, the rank among key assistance counties, and the
-- month-on-month changes. Rates are null where their denominator is 0 (medical also when the
-- medical feed is absent); a null rate drops out of the score and the other weights are scaled to
-- sum to 1.

with

history as (

    select * from {{ ref('int_household_month') }}
    where {{ in_built_or_published() }}

),

counties as (

    select * from {{ ref('dim_county') }}

),

problems as (

    select * from {{ ref('fct_problem') }}

),

weights as (

    select * from {{ ref('scorecard_weights') }}

),

county_months as (

    select
        month,
        county_code,
        count(*) as households,
        sum(member_count) as persons,
        count(*) filter (where household_type = 'out_of_poverty') as out_of_poverty_households,
        count(*) filter (where monitoring_status = 'at_risk') as at_risk_households,
        count(*) filter (where monitoring_status = 'eliminated') as eliminated_households,
        count(*) filter (where missed_identification) as missed_identifications,
        count(*) filter (where relapse_after_elimination) as relapsed_eliminated_households,
        count(*) filter (where housing_ok) as housing_ok_households,
        count(*) filter (where water_ok) as water_ok_households,
        sum(compulsory_age_members) as compulsory_age_members,
        sum(compulsory_age_in_school) as compulsory_age_in_school,
        bool_and(medical_present) as medical_present,
        sum(insured_members) as insured_members,
        sum(working_age_labour) as working_age_labour,
        sum(working_age_labour_employed) as working_age_labour_employed,
        round((
            percentile_disc(0.5) within group (order by per_capita_net_income)
            + percentile_disc(0.5) within group (order by per_capita_net_income desc)
        ) / 2, 2) as income_median
    from history
    group by month, county_code

),

problem_counts as (

    select
        county_months.month,
        county_months.county_code,
        count(problems.problem_id) as problems_found,
        count(problems.problem_id) filter (
            where problems.outcome = 'rectified'
                and problems.closed_month <= county_months.month
        ) as problems_rectified,
        count(problems.problem_id) filter (
            where problems.found_month = county_months.month
        ) as problems_found_in_month
    from county_months
    left join problems
        on problems.county_code = county_months.county_code
        and problems.found_month >= cast(date_trunc('year', county_months.month) as date)
        and problems.found_month <= county_months.month
    group by county_months.month, county_months.county_code

),

rates as (

    select
        county_months.*,
        problem_counts.problems_found,
        problem_counts.problems_rectified,
        problem_counts.problems_found_in_month,
        round(
            cast(county_months.compulsory_age_in_school as numeric)
            / nullif(county_months.compulsory_age_members, 0),
            {{ var('rate_decimals') }}
        ) as education_rate,
        case
            when county_months.medical_present then round(
                cast(county_months.insured_members as numeric) / nullif(county_months.persons, 0),
                {{ var('rate_decimals') }}
            )
        end as medical_rate,
        round(
            cast(county_months.housing_ok_households as numeric) / nullif(county_months.households, 0),
            {{ var('rate_decimals') }}
        ) as housing_rate,
        round(
            cast(county_months.water_ok_households as numeric) / nullif(county_months.households, 0),
            {{ var('rate_decimals') }}
        ) as water_rate,
        round(
            cast(county_months.working_age_labour_employed as numeric)
            / nullif(county_months.working_age_labour, 0),
            {{ var('rate_decimals') }}
        ) as employment_rate,
        round(
            1 - cast(county_months.missed_identifications as numeric) / nullif(county_months.households, 0),
            {{ var('rate_decimals') }}
        ) as identification_rate,
        round(
            cast(problem_counts.problems_rectified as numeric) / nullif(problem_counts.problems_found, 0),
            {{ var('rate_decimals') }}
        ) as rectification_rate,
        round(
            cast(county_months.relapsed_eliminated_households as numeric)
            / nullif(county_months.eliminated_households, 0),
            {{ var('rate_decimals') }}
        ) as wrong_exit_rate
    from county_months
    inner join problem_counts
        on problem_counts.month = county_months.month
        and problem_counts.county_code = county_months.county_code

),

rate_values as (

    select
        rates.month,
        rates.county_code,
        rate_value.rate,
        rate_value.value
    from rates
    cross join lateral (
        values
            ('education', rates.education_rate),
            ('medical', rates.medical_rate),
            ('housing', rates.housing_rate),
            ('water', rates.water_rate),
            ('employment', rates.employment_rate),
            ('identification', rates.identification_rate),
            ('rectification', rates.rectification_rate)
    ) as rate_value (rate, value)

),

scores as (

    select
        rate_values.month,
        rate_values.county_code,
        round(
            100 * sum(weights.weight * rate_values.value)
            / nullif(sum(weights.weight) filter (where rate_values.value is not null), 0),
            {{ var('score_decimals') }}
        ) as score
    from rate_values
    inner join weights
        on weights.rate = rate_values.rate
    group by rate_values.month, rate_values.county_code

),

scored as (

    select
        rates.*,
        scores.score,
        coalesce(counties.is_key_county, false) as is_key_county,
        counties.county_name,
        coalesce(counties.city_code, left(rates.county_code, 4)) as city_code,
        counties.city_name
    from rates
    left join scores
        on scores.month = rates.month
        and scores.county_code = rates.county_code
    left join counties
        on counties.county_code = rates.county_code

),

ranked as (

    select
        *,
        case
            when is_key_county and score is not null then rank() over (
                partition by month, is_key_county and score is not null
                order by score desc
            )
        end as key_rank
    from scored

),

final as (

    select
        ranked.month,
        ranked.county_code,
        ranked.county_name,
        ranked.city_code,
        ranked.city_name,
        ranked.is_key_county,
        ranked.households,
        ranked.persons,
        ranked.out_of_poverty_households,
        ranked.at_risk_households,
        ranked.eliminated_households,
        ranked.missed_identifications,
        ranked.problems_found,
        ranked.problems_rectified,
        ranked.problems_found_in_month,
        ranked.education_rate,
        ranked.medical_rate,
        ranked.housing_rate,
        ranked.water_rate,
        ranked.employment_rate,
        ranked.identification_rate,
        ranked.rectification_rate,
        ranked.wrong_exit_rate,
        ranked.income_median,
        round(
            ranked.income_median / nullif(year_before.income_median, 0) - 1,
            {{ var('rate_decimals') }}
        ) as income_growth,
        ranked.score,
        ranked.key_rank,
        ranked.score - month_before.score as score_change,
        month_before.key_rank - ranked.key_rank as key_rank_change,
        ranked.compulsory_age_members,
        ranked.working_age_labour,
        ranked.relapsed_eliminated_households
    from ranked
    left join ranked as month_before
        on month_before.county_code = ranked.county_code
        and month_before.month = cast(ranked.month - interval '1 month' as date)
    left join ranked as year_before
        on year_before.county_code = ranked.county_code
        and year_before.month = cast(ranked.month - interval '12 months' as date)

)

select * from final
