-- The snapshots delivered (已报送期次): one row per feed and snapshot month present in raw,
-- with its row count. A plain count per month (no deduplication), so choosing the snapshot of
-- a month does not have to read every feed's deduplicated history.

with

{% for item in fangpin_feeds() -%}
{{ item.feed }} as (

    select
        '{{ item.feed }}' as feed,
        cast(_snapshot_month as date) as snapshot_month,
        count(*) as raw_rows
    from {{ source('raw', item.feed) }}
    group by _snapshot_month

),

{% endfor -%}
final as (

    {%- for item in fangpin_feeds() %}
    select * from {{ item.feed }}
    {{ "union all" if not loop.last }}
    {%- endfor %}

)

select * from final
