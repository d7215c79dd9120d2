-- Airflow's metadata gets its own database on the warehouse's server.
create database fangpin_airflow owner fangpin;
