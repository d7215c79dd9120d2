{{ config(incremental_predicates=history_predicates()) }}

-- County scorecard history (县级考核评分表, incremental by month): one row per county with
-- registered households and per month built, plus a row for each key assistance county of the
-- month's list that has no registered households that month (households 0, no score, no rank,
-- scored false and its not_scored_reason: docs/contract/RULES.md "County scorecard"): the
-- counts, the seven rates of docs/contract/RULES.md, wrong-exit rate, income median and growth,
-- the weighted score, the rank among key assistance counties, and the month-on-month changes.
-- Rates are null where their denominator is 0 (medical also when the medical feed is absent); a
-- null rate drops out of the score and the other weights are scaled to sum to 1.
--
-- An incremental run computes var('month') only: the month's households (int_household_month),
-- the problems found from January of its year as the ledger stands at the month
-- (int_problem_month: the rows of those months that close a problem, and the month's open
-- rows), and the changes against the stored rows of the month before and of the same month a
-- year before, not against a recomputation of every month. A full build computes every month
-- of int_household_month. mart_county_scorecard adds the county and city names (dim_county).

with
{{ import_ctes({'history': ref('int_household_month')}, history_filtered=['history']) }}

-- The problems found from January of the month's year, as the ledger stands at the month: the
-- rows that close a problem and the month's open rows (a full build: every month's closing
-- rows and the latest month's open rows, the ledger as it stands now).
problems as (

    select ledger.*
    from {{ ref('int_problem_month') }} as ledger
    {%- if is_incremental() %}
    where ledger.month >= cast(date_trunc('year', {{ build_month() }}) as date)
        and ledger.month <= {{ build_month() }}
        and (ledger.closed_month is not null or ledger.month = {{ build_month() }})
    {%- else %}
    where ledger.closed_month is not null
        or ledger.month = (select max(latest.month) from {{ ref('int_problem_month') }} as latest)
    {%- endif %}

),

weights as (

    select * from {{ policy('scorecard_weights') }}

),

-- The key counties of each month's year (the bureau's list when imported, else the seed).
key_counties as (

    {{ key_counties_by_month('history') }}

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

-- Key counties without a registered household in the month: reported, not scored.
unseen_key_counties as (

    select
        key_counties.month,
        key_counties.county_code,
        0 as households,
        0 as persons,
        0 as out_of_poverty_households,
        0 as at_risk_households,
        0 as eliminated_households,
        0 as missed_identifications,
        0 as relapsed_eliminated_households,
        0 as housing_ok_households,
        0 as water_ok_households,
        0 as compulsory_age_members,
        0 as compulsory_age_in_school,
        cast(null as boolean) as medical_present,
        0 as insured_members,
        0 as working_age_labour,
        0 as working_age_labour_employed,
        cast(null as numeric) as income_median
    from key_counties
    left join county_months
        on county_months.month = key_counties.month
        and county_months.county_code = key_counties.county_code
    where county_months.county_code is null

),

county_rows as (

    select * from county_months
    union all
    select * from unseen_key_counties

),

problem_counts as (

    select
        county_rows.month,
        county_rows.county_code,
        count(problems.problem_id) as problems_found,
        count(problems.problem_id) filter (
            where problems.outcome = 'rectified'
                and problems.closed_month <= county_rows.month
        ) as problems_rectified,
        count(problems.problem_id) filter (
            where problems.found_month = county_rows.month
        ) as problems_found_in_month
    from county_rows
    left join problems
        on problems.county_code = county_rows.county_code
        and problems.found_month >= cast(date_trunc('year', county_rows.month) as date)
        and problems.found_month <= county_rows.month
    group by county_rows.month, county_rows.county_code

),

rates as (

    select
        county_rows.*,
        problem_counts.problems_found,
        problem_counts.problems_rectified,
        problem_counts.problems_found_in_month,
        {{ safe_ratio('county_rows.compulsory_age_in_school', 'county_rows.compulsory_age_members') }}
            as education_rate,
        case
            when county_rows.medical_present
                then {{ safe_ratio('county_rows.insured_members', 'county_rows.persons') }}
        end as medical_rate,
        {{ safe_ratio('county_rows.housing_ok_households', 'county_rows.households') }} as housing_rate,
        {{ safe_ratio('county_rows.water_ok_households', 'county_rows.households') }} as water_rate,
        {{ safe_ratio('county_rows.working_age_labour_employed', 'county_rows.working_age_labour') }}
            as employment_rate,
        {{ safe_ratio('county_rows.missed_identifications', 'county_rows.households', complement=true) }}
            as identification_rate,
        {{ safe_ratio('problem_counts.problems_rectified', 'problem_counts.problems_found') }}
            as rectification_rate,
        {{ safe_ratio('county_rows.relapsed_eliminated_households', 'county_rows.eliminated_households') }}
            as wrong_exit_rate
    from county_rows
    inner join problem_counts
        on problem_counts.month = county_rows.month
        and problem_counts.county_code = county_rows.county_code

),

rate_values as (

    select
        rates.month,
        rates.county_code,
        rate_value.rate,
        rate_value.value
    from rates
    {{ unpivot_flags(
        'rates',
        domain_columns('rates'),
        'rate_value', code_name='rate', suffix='_rate', upper=false
    ) }}

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
        case when rates.households > 0 then scores.score end as score,
        key_counties.county_code is not null as is_key_county
    from rates
    left join scores
        on scores.month = rates.month
        and scores.county_code = rates.county_code
    left join key_counties
        on key_counties.month = rates.month
        and key_counties.county_code = rates.county_code

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

-- The rows the month-on-month and year-on-year changes compare with: as stored when those
-- months were built (a full build: the rows computed here).
earlier as (

    select
        month,
        county_code,
        score,
        key_rank,
        income_median
    {%- if is_incremental() %}
    from {{ this }}
    where month in (
        cast({{ build_month() }} - interval '1 month' as date),
        cast({{ build_month() }} - interval '12 months' as date)
    )
    {%- else %}
    from ranked
    {%- endif %}

),

final as (

    select
        ranked.month,
        ranked.county_code,
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
        ranked.relapsed_eliminated_households,
        ranked.score is not null as scored,
        case
            when ranked.households = 0 then 'no registered households in the month'
            when ranked.score is null then 'no rate has a denominator'
        end as not_scored_reason
    from ranked
    left join earlier as month_before
        on month_before.county_code = ranked.county_code
        and month_before.month = cast(ranked.month - interval '1 month' as date)
    left join earlier as year_before
        on year_before.county_code = ranked.county_code
        and year_before.month = cast(ranked.month - interval '12 months' as date)

)

select * from final
