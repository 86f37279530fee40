"""Quality gates: expectation suites run by Great Expectations on a SRC batch, reconciliation,
freshness and schema contracts. Results are plain data; nothing here imports Dagster.

Great Expectations costs seconds to import, so it is imported only inside `runner.validate_batch`.
"""

from strataflow.quality.results import ExpectationResult, ValidationReport

__all__ = ["ExpectationResult", "ValidationReport"]
