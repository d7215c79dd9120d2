"""Airflow's wiring: its home and ``airflow.cfg``, ``fangpin airflow``, the notifier, run notes.

Beside the layers, under ``fangpin.pipeline``: these modules know Airflow (its configuration,
metadata database and CLI) but none of Fangpin's stages, so ``fangpin.pipeline.run_months``
configures Airflow through ``airflow_env`` before it runs the DAG, and the DAG's tasks use
``notify`` and ``run_note``. They import only ``fangpin.config`` and ``fangpin.warehouse``.
"""
