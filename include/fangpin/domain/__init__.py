"""The domain, named once: feeds, codes and their labels, membership, policy names, months.

Why: every layer (dbt, the audit, the report, the synth, the tests) speaks of the same eight
feeds, thirteen signals, four guarantees, six doubt points and seven rates. They are declared
in ``codes.py``; month parsing and arithmetic in ``months.py``. dbt cannot import Python, so
``make macros`` renders the declaration as a dbt macro
(``dbt_project/macros/domain/fangpin_domain.sql``) and a unit test fails when the two differ.
This package imports nothing else of fangpin: every other package may read it.
"""
