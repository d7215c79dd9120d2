"""Running dbt: one ``dbt build`` per month, never one process per model."""
