{#
  Unnamed, and looked up by table: a full refresh renames the old table aside, index and all.
  Read from pg_index, not pg_indexes: that view renders every index's definition, and one that
  another dbt thread drops meanwhile fails the lookup ("could not open relation with OID").
#}
{% macro history_month_index() -%}
    do $$
    begin
        if not exists (
            select 1
            from pg_index as x
            inner join pg_class as i on i.oid = x.indexrelid
            inner join pg_am as am on am.oid = i.relam
            inner join pg_attribute as a on a.attrelid = x.indrelid and a.attnum = x.indkey[0]
            where x.indrelid = '{{ this }}'::regclass
                and am.amname = 'brin' and x.indnatts = 1 and a.attname = 'month'
        ) then
            create index on {{ this }} using brin (month);
        end if;
    end
    $$
{%- endmacro %}
