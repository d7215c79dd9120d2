-- Registry members (户成员信息), one row per person per snapshot month, with birth date and
-- sex derived from the id number. A person listed twice in a snapshot keeps the row delivered
-- last. Names stay here (staging) and go no further.

{{ stage_feed(
    'registry_members', one_per=['id_number'],
    expressions={'household_id': household_key('cast(household_id as text)')},
    derived={'birth_date': birth_date_from_id('id_number'), 'sex': sex_from_id('id_number')},
) }}
