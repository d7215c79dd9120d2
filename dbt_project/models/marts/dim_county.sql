-- Counties of the province (GB/T 2260) with their prefecture-level city, and whether each is a
-- key assistance county (重点帮扶县) in the year of var('month'). From the seed shanxi_counties
-- and the key-county list in force (policy.key_counties when imported, else the seed).

with

counties as (

    select * from {{ ref('shanxi_counties') }}

),

build_month as (

    select {{ build_month() }} as month

),

-- The key-county list of the build month's year (the bureau's import, else the shipped seed;
-- a year not set uses the latest year that is). The scorecard marks each month by its own year.
key_counties as (

    select county_code
    from ({{ key_counties_by_month('build_month') }}) as listed

),

final as (

    select
        cast(counties.county_code as text) as county_code,
        cast(counties.county_name as text) as county_name,
        cast(counties.city_code as text) as city_code,
        cast(counties.city_name as text) as city_name,
        key_counties.county_code is not null as is_key_county
    from counties
    left join key_counties
        on key_counties.county_code = cast(counties.county_code as text)

)

select * from final
