-- The households of each county in the latest PUBLISHED month before `before`: what the audit
-- compares a build with to tell a key county that vanished (it had registered households in the
-- previous published month and has none now: the publish is refused) from one never seen (it
-- is reported, not scored). RULES.md "County scorecard"; fangpin.audit.suites.marts.mart_county_scorecard.
-- Empty before the first publish (marts.mart_county_scorecard does not exist yet), hence the
-- dynamic SQL: a plain view could not be created over a table that may not exist.
create or replace function ops.published_county_households(before date)
returns table (county_code text, month date, households bigint)
language plpgsql stable as $$
begin
    if to_regclass('marts.mart_county_scorecard') is null then
        return;
    end if;
    return query execute
        'select s.county_code::text, s.month, s.households::bigint
           from marts.mart_county_scorecard s
          where s.month = (select max(p.month) from marts.mart_county_scorecard p
                            where p.month < $1)'
        using before;
end
$$;
