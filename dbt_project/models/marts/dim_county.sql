-- Counties of the province (GB/T 2260) with their prefecture-level city, and whether each is a
-- key assistance county (重点帮扶县). From the seeds shanxi_counties and key_counties.

with

counties as (

    select * from {{ ref('shanxi_counties') }}

),

key_counties as (

    select distinct cast(county_code as text) as county_code
    from {{ ref('key_counties') }}

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
