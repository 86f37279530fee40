"""Dagster side of the quality gate: the SRC asset's blocking `quality` check, its reconciliation check and
their metadata. (Automation waits for upstream blocking checks: defs/automation.py.)"""

from __future__ import annotations

from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
)

from strataflow.quality.results import ValidationReport

QUALITY_CHECK = "quality"
RECONCILIATION_CHECK = "reconciliation"
FRESHNESS_CHECK = "freshness"


def reconciliation_check_spec(key: AssetKey) -> AssetCheckSpec:
    return AssetCheckSpec(
        RECONCILIATION_CHECK,
        asset=key,
        blocking=False,
        description="Row counts of the partition: source window = RAW; SRC = RAW - duplicates dropped + hard "
        "deletes detected; warehouse = SRC (full snapshots: the whole table). Fails with all the numbers.",
    )


def reconciliation_check_result(key: AssetKey, result: Any) -> AssetCheckResult:
    figures = {k: v for k, v in result.figures().items() if k != "problems"}
    return AssetCheckResult(
        check_name=RECONCILIATION_CHECK,
        asset_key=key,
        passed=result.passed,
        severity=AssetCheckSeverity.ERROR,
        description=result.summary(),
        metadata={**{k: v if v is not None else -1 for k, v in figures.items()}, "problems": result.problems},
    )


def quality_check_spec(key: AssetKey, suite_origin: str) -> AssetCheckSpec:
    return AssetCheckSpec(
        QUALITY_CHECK,
        asset=key,
        blocking=True,
        description=f"Great Expectations suite ({suite_origin}) on each SRC partition before it reaches the "
        "warehouse; an `error` expectation that fails keeps the partition out and blocks downstream assets.",
    )


def quality_check_result(key: AssetKey, report: ValidationReport) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=QUALITY_CHECK,
        asset_key=key,
        passed=report.passed,
        severity=AssetCheckSeverity.ERROR if not report.passed else AssetCheckSeverity.WARN,
        description=report.summary(),
        metadata=report_metadata(report),
    )


def report_metadata(report: ValidationReport) -> dict[str, Any]:
    failing = [r.to_dict() for r in report.failures]
    metadata: dict[str, Any] = {
        "partition": report.partition,
        "rows": report.rows,
        "suite": report.suite,
        "expectations": len(report.results),
        "failed_errors": sum(r.blocking_failure for r in report.results),
        "failed_warnings": sum((not r.success) and r.severity == "warn" for r in report.results),
        "failures": MetadataValue.json(failing),
        "validation_s": MetadataValue.float(round(report.duration_s, 3)),
    }
    if failing:
        metadata["failures_table"] = MetadataValue.md(_failures_markdown(report))
    if report.data_docs is not None:
        metadata["data_docs"] = MetadataValue.url(report.data_docs.resolve().as_uri())
    return metadata


def _failures_markdown(report: ValidationReport) -> str:
    lines = ["| expectation | severity | unexpected | % | sample (with keys) |", "| --- | --- | ---: | ---: | --- |"]
    for r in report.failures:
        sample = ", ".join(str(s) for s in r.sample[:5]) or (r.note or "")
        pct = f"{r.unexpected_percent:.2f}" if r.unexpected_percent is not None else ""
        count = r.unexpected_count if r.unexpected_count is not None else ""
        lines.append(f"| {r.name} | {r.severity} | {count} | {pct} | {sample.replace('|', '/')} |")
    return "\n".join(lines)
