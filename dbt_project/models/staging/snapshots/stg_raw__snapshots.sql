-- The snapshots delivered (已报送期次): one row per feed and snapshot month present in raw,
-- with its row count. Read from the loader's record (ops.load_history: the files of the
-- current delivery of a feed and month are the rows with status `loaded`, and raw holds
-- exactly their rows), not by counting raw: listing the snapshots reads a row per file, not
-- every raw row of the history. A delivery that loaded no row is not a snapshot in raw.

with

loads as (

    select * from {{ source('ops', 'load_history') }}
    where status = 'loaded'
        and feed in (
            {%- for item in fangpin_feeds() %}
            '{{ item.feed }}'{{ "," if not loop.last }}
            {%- endfor %}
        )

),

final as (

    select
        cast(feed as text) as feed,
        cast(month as date) as snapshot_month,
        sum(rows_loaded) as raw_rows
    from loads
    group by feed, month
    having sum(rows_loaded) > 0

)

select * from final
