# The Fangpin image: Airflow 3 with the fangpin package, dbt and Great Expectations.
FROM apache/airflow:3.3.2-python3.11
USER root
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
USER airflow
COPY --chown=airflow:root pyproject.toml uv.lock README.md /opt/fangpin/
COPY --chown=airflow:root include /opt/fangpin/include
COPY --chown=airflow:root dags /opt/fangpin/dags
COPY --chown=airflow:root dbt_project /opt/fangpin/dbt_project
COPY --chown=airflow:root expectations /opt/fangpin/expectations
RUN pip install --no-cache-dir "/opt/fangpin[celery]"
ENV FANGPIN_HOME=/opt/fangpin
