-- Medical insurance enrolment and spending (医保局 参保及费用): one row per person and
-- coverage year per snapshot month. Where a snapshot has several, an `active` row wins, then the
-- highest total_expense_yuan (docs/contract/FEEDS.md), then the row delivered last.

{{ stage_feed(
    'medical', one_per=['id_number', 'coverage_year'],
    order_by=["enrollment_status = 'active' desc", 'total_expense_yuan desc nulls last']
) }}
