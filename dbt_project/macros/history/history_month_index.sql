{# Unnamed, and looked up by table: a full refresh renames the old table aside, index and all. #}
{% macro history_month_index() -%}
    do $$
    begin
        if not exists (
            select 1 from pg_indexes
            where schemaname = '{{ this.schema }}' and tablename = '{{ this.identifier }}'
                and indexdef like '%USING brin (month)%'
        ) then
            create index on {{ this }} using brin (month);
        end if;
    end
    $$
{%- endmacro %}
