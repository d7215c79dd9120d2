"""The top layer: what the DAG and the CLI call (the monthly steps, running months, status).

``monthly`` is the steps of one month (prepare, load, transform, audit, publish), each a stage
of ``ops.run_log``; ``run_months`` is ``fangpin run`` (one DAG run per month, planned by
``plan``, after ``housekeeping``); ``setup`` sets a warehouse up; ``status`` is ``fangpin
status``. Only this layer (and ``fangpin.cli``, ``dags/``) may import every layer below:
feeds → load → transform → audit → publish, over policy, warehouse and the base modules
(``tests/unit/test_layers.py`` holds the order).
"""
