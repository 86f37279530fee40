-- Run once by the postgres image on an empty data directory (docker-entrypoint-initdb.d).
-- POSTGRES_DB already created `dagster` (Dagster's storage); the warehouse gets its own database,
-- owned by the same user (POSTGRES_USER runs this script).
CREATE DATABASE warehouse;
