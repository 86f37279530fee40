"""Raw data understanding: read a source's catalog, infer relationships, profile tables, write a data
dictionary, propose a registry and scaffold a new table's suite and dbt models. Plain Python (no Dagster)."""
