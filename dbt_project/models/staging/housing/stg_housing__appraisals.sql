-- Rural house safety appraisal (住建厅 农村房屋安全鉴定): the latest appraisal_date per
-- householder counts (docs/contract/FEEDS.md); equal dates keep the row delivered last. One row per
-- householder id number per snapshot month.

{{ stage_feed(
    'housing', one_per=['householder_id_number'], order_by=['appraisal_date desc nulls last'],
    expressions={'disaster_damaged': 'coalesce(cast(disaster_damaged as boolean), false)'}
) }}
