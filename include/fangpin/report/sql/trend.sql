-- Score and rank of the month's key counties over every published month up to the month.
select s.month, s.county_code, s.score, s.key_rank
from marts.mart_county_scorecard s
where s.month <= %(month)s
  and s.county_code in (
      select county_code from marts.mart_county_scorecard
      where month = %(month)s and is_key_county
  )
order by s.month, s.county_code
