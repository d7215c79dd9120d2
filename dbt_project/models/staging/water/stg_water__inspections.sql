-- Rural water supply inspection (水利厅 农村供水工程核查): one row per village and project
-- per snapshot month; a project inspected twice in one snapshot keeps its latest inspection
-- (then the row delivered last). A village may have several projects: all of them count.

{{ stage_feed('water', one_per=['village_code', 'project_id'], order_by=['inspected_on desc nulls last']) }}
