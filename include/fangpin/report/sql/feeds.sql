-- Feed reporting (报送及时率) of every published month up to the month; {columns} is the
-- columns the report shows that this publish has.
select month, feed, feed_name_zh, {columns}
from marts.mart_feed_reporting
where month <= %(month)s
order by month desc, feed_order
