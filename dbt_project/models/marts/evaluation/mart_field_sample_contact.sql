{{ config(pre_hook=hash_joins_only()) }}

-- Field-team contact list (实地核查联系名单): the rows of mart_field_sample with the head's plain
-- name, so that a field team can find the household. Personal data: published in the marts
-- schema (so it is swapped in atomically with the sample it belongs to) but not granted to
-- evaluator or bi_reader; each evaluating city's field team (role field_team_<city_code>)
-- reads only its own rows, under row-level security applied by
-- fangpin.warehouse.roles.grant_field_teams on every build before the publish.
-- No id numbers: the head appears by name and masked id only.

with

sample as (

    select * from {{ ref('mart_field_sample') }}

),

heads as (

    select * from {{ ref('int_field_sample_head') }}

),

final as (

    select
        sample.month,
        sample.evaluating_city_code,
        sample.evaluating_city_name,
        sample.county_code,
        sample.county_name,
        sample.sample_rank,
        sample.reason,
        sample.household_id,
        sample.village_code,
        sample.township_name,
        heads.head_name,
        sample.head_id_masked,
        sample.member_count,
        sample.monitoring_status,
        sample.signals_to_check
    from sample
    left join heads
        on heads.month = sample.month
        and heads.household_id = sample.household_id

)

select * from final
