-- County scorecard (县级考核评分表), one row per county with registered households and per month
-- the build holds (in_built_or_published), plus a row for each key assistance county of the
-- month's list that has no registered households that month: the rows of the scorecard history
-- int_county_score_month (where every count, rate, score, rank and change is computed when its
-- month is built, docs/contract/RULES.md "County scorecard") with the county's and city's
-- names from dim_county.

with

scores as (

    select * from {{ ref('int_county_score_month') }}
    where {{ in_built_or_published() }}

),
{{ import_ctes({'counties': ref('dim_county')}) }}

final as (

    select
        scores.month,
        scores.county_code,
        counties.county_name,
        coalesce(counties.city_code, left(scores.county_code, 4)) as city_code,
        counties.city_name,
        scores.is_key_county,
        scores.households,
        scores.persons,
        scores.out_of_poverty_households,
        scores.at_risk_households,
        scores.eliminated_households,
        scores.missed_identifications,
        scores.problems_found,
        scores.problems_rectified,
        scores.problems_found_in_month,
        scores.education_rate,
        scores.medical_rate,
        scores.housing_rate,
        scores.water_rate,
        scores.employment_rate,
        scores.identification_rate,
        scores.rectification_rate,
        scores.wrong_exit_rate,
        scores.income_median,
        scores.income_growth,
        scores.score,
        scores.key_rank,
        scores.score_change,
        scores.key_rank_change,
        scores.compulsory_age_members,
        scores.working_age_labour,
        scores.relapsed_eliminated_households,
        scores.scored,
        scores.not_scored_reason
    from scores
    left join counties
        on counties.county_code = scores.county_code

)

select * from final
