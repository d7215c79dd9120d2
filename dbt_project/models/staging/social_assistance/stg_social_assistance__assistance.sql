-- Minimum living guarantee and relief (民政厅 社会救助): every record is kept; whether it is
-- in force is a question of the month, answered in int_member_month.

{{ stage_feed('social_assistance') }}
