"""Running the monthly DAG: Airflow's home and metadata database, and one run per month."""
