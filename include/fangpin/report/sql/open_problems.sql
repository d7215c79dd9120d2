-- Problems open at the month's end, all counties.
select count(*) from marts.fct_problem
where found_month <= %(month)s and (closed_month is null or closed_month > %(month)s)
