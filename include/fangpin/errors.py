"""Errors shared by the steps and the DAG."""

from __future__ import annotations


class NotRetryable(RuntimeError):
    """The same input gives the same verdict: retrying only delays the message.

    A refused audit or publish, a missing registry: the DAG maps these to Airflow's
    ``AirflowFailException`` so a task fails at once instead of retrying an identical refusal.
    """
