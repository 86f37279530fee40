"""Dagster wiring only: asset factories, resources, jobs. The engine lives outside this package."""
