-- The columns marts.mart_feed_reporting has in this publish (the report shows those it knows).
select column_name
from information_schema.columns
where table_schema = 'marts' and table_name = 'mart_feed_reporting'
