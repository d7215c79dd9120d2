{#
  docs/contract/RULES.md "Time": a month with no registry snapshot in reach is not built, and says
  so.

  Post-hook of int_feed_snapshot_month (runs inside its transaction): when registry_households
  or registry_members has no snapshot at or at most feed_max_age_months before var('month'),
  the hook raises, the model's transaction rolls back, and every model downstream (the
  household-month history included) is skipped. Nothing of the month is written.
#}
{% macro assert_registry_in_reach() -%}
do $guard$
declare
    missing text;
begin
    select string_agg(
               feed || ' (latest snapshot: '
               || coalesce(to_char(latest_snapshot_month, 'YYYY-MM'), 'none')
               || ', allowed age: ' || max_age_months || ' months)',
               '; ' order by feed)
      into missing
      from {{ this }}
     where month = {{ build_month() }}
       and feed in ('{{ registry_feeds() | join("', '") }}')
       and not is_present;

    if missing is not null
       or (select count(*) from {{ this }} where month = {{ build_month() }}) = 0 then
        raise exception 'Month % is not built: no registry snapshot in reach. Missing: %. Load the registry (registry_households and registry_members) for % or a recent month, then build again.',
            to_char({{ build_month() }}, 'YYYY-MM'),
            coalesce(missing, 'registry_households; registry_members (no snapshot at all)'),
            to_char({{ build_month() }}, 'YYYY-MM');
    end if;
end
$guard$
{%- endmacro %}
