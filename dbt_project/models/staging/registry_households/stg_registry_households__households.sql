-- Registry households (防返贫监测信息系统 户信息), one row per household per snapshot month.
-- household_id is unique in a snapshot by contract; should a snapshot hold it twice, the row
-- delivered last (highest load, then file name, then line) is kept.

{{ stage_feed('registry_households', one_per=['household_id'], expressions={
    'household_id': household_key('cast(household_id as text)'),
    'risk_causes': "nullif(trim(cast(risk_causes as text)), '')",
}) }}
