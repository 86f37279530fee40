"""Run a suite on one SRC batch with Great Expectations 1.x, through an ephemeral GE context.

The batch is an Arrow table (what standardization produces). GE validates a pandas DataFrame:
only the columns the suite reads (and the primary key, for the sample of offending rows) are
converted, decimals as float64 (GE's pandas engine compares Python Decimal objects one by one,
~10x slower), so the copy stays small. Expectations about the schema alone (column set, types)
run on a zero-row frame of the full schema, which costs nothing whatever the row count.
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from strataflow.config.expectations import Expectation, Suite
from strataflow.quality.ge_suite import ROW_KINDS, SCHEMA_KINDS, to_ge
from strataflow.quality.results import SAMPLE_SIZE, ExpectationResult, ValidationReport, plain

log = logging.getLogger(__name__)
_cache: dict[str, Any] = {}


def _gx() -> Any:
    """Import Great Expectations on first use (4-10 s): code location loads and CLI start-up stay fast."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    # GE fingerprints every batch by hashing the whole DataFrame (a batch marker strataflow never reads);
    # on 1M rows with a text column that was 5.5 of 6.7 s. Frames at least this large skip it.
    pandas_execution_engine.HASH_THRESHOLD = 0
    for name in ("great_expectations", "great_expectations._docs_decorators"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return gx


def preload_great_expectations() -> None:
    """Import Great Expectations now (e.g. while a dbt parse runs in another process), not in the first
    validation."""
    _gx()


def pandas_frame(table: pa.Table, columns: list[str] | None = None) -> Any:
    """The pandas frame GE sees: decimals as float64, every other type as pandas converts it."""
    if columns is not None:
        table = table.select([c for c in dict.fromkeys(columns) if c in table.column_names])
    arrays = []
    for field in table.schema:
        column = table.column(field.name)
        if pa.types.is_decimal(field.type):
            column = pc.cast(column, pa.float64(), safe=False)
        arrays.append(column)
    return pa.table(arrays, names=table.column_names).to_pandas()


def frame_dtypes(schema: pa.Schema) -> dict[str, str]:
    """The pandas dtype name of each column, as pandas_frame gives it (from a zero-row table)."""
    frame = pandas_frame(schema.empty_table())
    # GE compares dtype.type; for time-zone-aware timestamps that is pandas.Timestamp, named so.
    return {name: "Timestamp" if getattr(dtype, "tz", None) else str(dtype) for name, dtype in frame.dtypes.items()}


def validate_batch(
    data: pa.Table,
    suite: Suite,
    *,
    asset: str,
    partition: str,
    primary_key: list[str],
    expected_schema: pa.Schema | None = None,
    previous_rows: int | None = None,
    docs_dir: Path | None = None,
    docs_name: str | None = None,
) -> ValidationReport:
    """Validate `data` against `suite`; `expected_schema` defaults to the data's own schema."""
    started = time.monotonic()
    gx = _gx()
    expected = expected_schema if expected_schema is not None else data.schema
    expected_dtypes = frame_dtypes(expected)
    actual = set(data.column_names)

    results: dict[int, ExpectationResult] = {}
    data_items: list[Expectation] = []
    schema_items: list[Expectation] = []
    for item in suite.expectations:
        missing = [c for c in item.columns() if c not in actual]
        if missing:
            results[item.index] = _missing_columns(item, missing, data.num_rows)
        elif item.kind == "date_format" and not is_text(data.schema.field(item.columns()[0]).type):
            results[item.index] = _not_text(item, data.schema.field(item.columns()[0]), data.num_rows)
        elif item.kind in SCHEMA_KINDS:
            schema_items.append(item)
        else:
            data_items.append(item)

    whole = _batch_definition(gx)
    ge_results = []
    pk = [c for c in primary_key if c in actual]

    def run(items: list[Expectation], frame: Any, index_columns: list[str], *, summary: bool = True) -> list[int]:
        """Validate `items` on `frame`; returns the indexes of the items that failed. Without `summary`
        GE computes success alone (BOOLEAN_ONLY): a passing item is recorded with no unexpected row, a
        failing one is left for a SUMMARY run."""
        expectations = []
        for item in items:
            built = to_ge(
                item,
                gx,
                expected_columns=expected.names,
                expected_dtypes={c: t for c, t in expected_dtypes.items() if c in actual},
                previous_rows=previous_rows,
            )
            if not built:
                results[item.index] = ExpectationResult(
                    item.name, item.kind, item.severity, True, note="no previous committed partition to compare with"
                )
            expectations.extend(built)
        if not expectations:
            return []
        suite_def = gx.ExpectationSuite(name=f"{asset}:{partition}", expectations=expectations)
        result_format: dict[str, Any] = {"result_format": "BOOLEAN_ONLY"}
        if summary:
            result_format = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
            if index_columns:
                result_format["unexpected_index_column_names"] = index_columns
        batch = whole.get_batch(batch_parameters={"dataframe": frame})
        outcome = batch.validate(suite_def, result_format=result_format)
        grouped: dict[int, list[Any]] = defaultdict(list)
        for r in outcome.results:
            grouped[int(r.expectation_config.meta["strataflow"])].append(r)
        by_index = {item.index: item for item in items}
        failed = [index for index, rs in grouped.items() if not all(r.success for r in rs)]
        if not summary:
            outcome.results = [r for r in outcome.results if int(r.expectation_config.meta["strataflow"]) not in failed]
        ge_results.append(outcome)
        for index, rs in grouped.items():
            if summary:
                results[index] = _combine(by_index[index], rs, expected)
            elif index not in failed:
                item = by_index[index]
                results[index] = ExpectationResult(
                    item.name, item.kind, item.severity, True, unexpected_count=0, unexpected_percent=0.0
                )
        return failed

    if data_items:
        needed = [c for item in data_items for c in item.columns()] + pk
        frame = pandas_frame(data, needed)
        # Row-by-row expectations that must hold for every row pass with no unexpected row: success alone
        # is enough for them (GE skips the counts, samples and key lists, ~40 % of a 1M-row validation);
        # only those that fail are validated again for their counts and samples.
        quick = [i for i in data_items if i.kind in ROW_KINDS and getattr(i.args, "mostly", None) in (None, 1)]
        failed = run(quick, frame, pk, summary=False)
        run([i for i in data_items if i not in quick or i.index in failed], frame, pk)
    if schema_items:
        run(schema_items, pandas_frame(data.slice(0, 0)), [])

    report = ValidationReport(
        asset=asset,
        partition=partition,
        rows=data.num_rows,
        results=[results[item.index] for item in suite.expectations],
        duration_s=time.monotonic() - started,
        suite=suite.origin,
    )
    if docs_dir is not None and ge_results:
        path = write_data_docs(ge_results, docs_dir, asset, docs_name or partition)
        report = ValidationReport(**{**report.__dict__, "data_docs": path})
    return report


def _batch_definition(gx: Any) -> Any:
    """One ephemeral GE context per process (creating one costs ~1 s); each validation is a new batch."""
    if "batch_definition" not in _cache:
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = {"globally": False}
        asset_def = context.data_sources.add_pandas("strataflow").add_dataframe_asset("src_partition")
        _cache["batch_definition"] = asset_def.add_batch_definition_whole_dataframe("partition")
    return _cache["batch_definition"]


def _missing_columns(item: Expectation, missing: list[str], rows: int) -> ExpectationResult:
    return _every_row_failed(item, rows, f"column(s) missing from the data: {', '.join(missing)}")


def is_text(kind: pa.DataType) -> bool:
    """A text column as suites see it (the type `date_format` checks)."""
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)


def _not_text(item: Expectation, field: pa.Field, rows: int) -> ExpectationResult:
    """date_format on a typed column (loading refuses it where the type is known beforehand): GE would fail
    it with no count and no reason; this says why, and counts every row as unchecked."""
    note = f"date_format needs a text column; {field.name} is {field.type}: remove the expectation"
    return _every_row_failed(item, rows, note)


def _every_row_failed(item: Expectation, rows: int, note: str) -> ExpectationResult:
    return ExpectationResult(
        item.name,
        item.kind,
        item.severity,
        False,
        unexpected_count=rows,
        unexpected_percent=100.0 if rows else 0.0,
        note=note,
    )


def _combine(item: Expectation, rs: list[Any], expected: pa.Schema) -> ExpectationResult:
    """One result per suite item: counts summed over its GE expectations, samples concatenated."""
    success = all(r.success for r in rs)
    counts = [r.result.get("unexpected_count") for r in rs if r.result.get("unexpected_count") is not None]
    percents = [r.result.get("unexpected_percent") for r in rs if r.result.get("unexpected_percent") is not None]
    sample: list[dict[str, Any]] = []
    for r in rs:
        rows = r.result.get("partial_unexpected_index_list") or [
            {"value": v} for v in r.result.get("partial_unexpected_list") or []
        ]
        sample.extend(plain(row) for row in rows)
    errors = [r.exception_info.get("exception_message") for r in rs if r.exception_info.get("raised_exception")]
    observed: Any = None
    note = "; ".join(str(e) for e in errors) or None
    if item.kind == "columns_match":
        seen = list(rs[0].result.get("observed_value") or [])
        extra = sorted(set(seen) - set(expected.names))
        absent = sorted(set(expected.names) - set(seen))
        observed = seen
        if extra or absent:
            note = f"unexpected columns: {', '.join(extra) or 'none'}; missing columns: {', '.join(absent) or 'none'}"
    elif item.kind == "types_match":
        wrong = {
            r.expectation_config.kwargs["column"]: f"{r.result.get('observed_value')} (expected "
            f"{r.expectation_config.kwargs['type_']})"
            for r in rs
            if not r.success
        }
        observed = wrong or None
        if wrong:
            note = "type changed: " + ", ".join(f"{c}: {t}" for c, t in wrong.items())
    elif len(rs) == 1 and "observed_value" in rs[0].result:
        observed = plain(rs[0].result["observed_value"])
    return ExpectationResult(
        name=item.name,
        kind=item.kind,
        severity=item.severity,
        success=success,
        unexpected_count=sum(counts) if counts else None,
        unexpected_percent=max(percents) if percents else None,
        observed=plain(observed),
        sample=sample[:SAMPLE_SIZE],
        note=note,
    )


def write_data_docs(ge_results: list[Any], docs_dir: Path, asset: str, name: str) -> Path:
    """GE's own validation-result page (HTML), one file per validation."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    main = ge_results[0]
    for extra in ge_results[1:]:
        main.results.extend(extra.results)
    main.success = all(r.success for r in main.results)
    evaluated = len(main.results)
    passed = sum(r.success for r in main.results)
    main.statistics.update(
        evaluated_expectations=evaluated,
        successful_expectations=passed,
        unsuccessful_expectations=evaluated - passed,
        success_percent=100.0 * passed / evaluated if evaluated else None,
    )
    folder = Path(docs_dir) / asset
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.html"
    if "view" not in _cache:  # the view compiles its Jinja templates once
        _cache["view"] = (DefaultJinjaPageView(), ValidationResultsPageRenderer())
    view, renderer = _cache["view"]
    html = view.render(renderer.render(main))
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
