-- Student status (教育厅 学籍信息): a person's status is the row with the latest status_date
-- of the snapshot (docs/contract/FEEDS.md); equal dates keep the row delivered last. One row per
-- person per snapshot month, registered or not (unregistered people are counted downstream).

{{ stage_feed('education', one_per=['id_number'], order_by=['status_date desc nulls last']) }}
