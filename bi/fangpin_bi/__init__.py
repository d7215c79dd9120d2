"""Apache Superset on Fangpin's published marts: the dashboards as code, and `make bi`.

Runs with the pipeline's Python (it needs ``fangpin`` for the warehouse URL and psycopg for the
logins) and drives Superset, which lives in its own environment (``.venv-bi``), through
Superset's own command line and a gunicorn process.

- ``spec``: the dashboards' YAML (``bi/dashboards``) read and checked.
- ``warehouse``: the BI login (a member of ``bi_reader``), Superset's metadata database, and
  what the login may read.
- ``bundle``: the YAML turned into a Superset export ZIP (databases, datasets, charts,
  dashboards), importable with ``superset import-dashboards``.
- ``service``: start, import, stop.
"""
