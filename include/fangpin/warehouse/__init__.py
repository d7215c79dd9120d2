"""The PostgreSQL warehouse: the embedded cluster, connections, schemas and roles."""
