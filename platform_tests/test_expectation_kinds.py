"""Expectation kinds through the quality runner (Great Expectations 1.x) on real Arrow batches shaped like
SRC partitions: counts, percents and samples with keys of failing expectations, `mostly`, the previous
partition comparison, date formats (and date_format on a typed column, refused or reported), and the
check metadata the Dagster `quality` check shows (percent, the 20-row sample cap)."""

from __future__ import annotations

import json
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from strataflow.config.expectations import Suite, load_suite
from strataflow.defs.quality import report_metadata
from strataflow.pipeline import quality_rows
from strataflow.quality.results import SAMPLE_SIZE, ExpectationResult, ValidationReport
from strataflow.quality.runner import validate_batch
from strataflow.warehouse import DuckDBWarehouse
from strataflow.warehouse.check_log import DETAILS_MAX, CheckRow, record_checks


def suite_of(text: str) -> Suite:
    path = Path(tempfile.mkstemp(suffix=".yaml")[1])
    path.write_text("expectations:\n" + text)
    return load_suite(path)


def validate(data: pa.Table, text: str, **kwargs: object) -> ValidationReport:
    return validate_batch(
        data, suite_of(text), asset="src/shop/items", partition="2025-01-01", primary_key=["id"], **kwargs
    )


def only(report: ValidationReport) -> ExpectationResult:
    (result,) = report.results
    return result


ITEMS = pa.table(
    {
        "id": pa.array(range(1, 11), pa.int64()),
        "status": ["new", "paid", "paid", "lost", "new", "paid", "gone", "new", "paid", "new"],
        "born": [
            "2025-01-01",
            "2025-02-30",
            "2025-03-01",
            "01/04/2025",
            None,
            "2025-05-01",
            "2025-06-01",
            "2025-07-01",
            "2025-08-01",
            "2025-09-01",
        ],  # Feb 30th and a day-first date do not parse; one NULL
        "note": ["a", None, "c", None, "e", "f", "g", "h", "i", "j"],
        "at": pa.array([datetime(2025, 1, 1, tzinfo=UTC)] * 10, pa.timestamp("us", tz="UTC")),
    }
)


def test_date_format_counts_the_values_that_do_not_parse() -> None:
    result = only(validate(ITEMS, "  - date_format: {column: born, format: '%Y-%m-%d'}\n"))
    assert not result.success and result.unexpected_count == 2  # Feb 30th and 01/04/2025; NULL is not checked
    assert result.sample == [{"born": "2025-02-30", "id": 2}, {"born": "01/04/2025", "id": 4}]
    assert result.unexpected_percent == pytest.approx(100 * 2 / 9)  # of the 9 non-null values


def test_date_format_on_a_timestamp_column_fails_with_a_reason_and_a_count() -> None:
    """Where loading could not know the type (no registry type, never extracted), the run says why."""
    result = only(validate(ITEMS, "  - date_format: {column: at, format: '%Y-%m-%d'}\n"))
    assert not result.success and result.unexpected_count == 10 and result.unexpected_percent == 100.0
    assert result.note == "date_format needs a text column; at is timestamp[us, tz=UTC]: remove the expectation"


def test_in_set_fails_with_count_percent_and_keys() -> None:
    result = only(validate(ITEMS, "  - in_set: {column: status, values: [new, paid]}\n"))
    assert not result.success and result.unexpected_count == 2 and result.unexpected_percent == 20.0
    assert result.sample == [{"status": "lost", "id": 4}, {"status": "gone", "id": 7}]


def test_mostly_lets_a_share_of_bad_values_through_and_still_counts_them() -> None:
    lenient = only(validate(ITEMS, "  - not_null: {columns: [note], mostly: 0.8}\n"))
    assert lenient.success and lenient.unexpected_count == 2  # 80 % non-null: exactly enough
    strict = only(validate(ITEMS, "  - not_null: {columns: [note], mostly: 0.9}\n"))
    assert not strict.success and strict.unexpected_count == 2 and strict.unexpected_percent == 20.0
    in_set = only(validate(ITEMS, "  - in_set: {column: status, values: [new, paid], mostly: 0.75}\n"))
    assert in_set.success and in_set.unexpected_count == 2


def test_row_count_between_fails_with_the_observed_count() -> None:
    result = only(validate(ITEMS, "  - row_count_between: {min: 11}\n"))
    assert not result.success and result.observed == 10
    assert only(validate(ITEMS, "  - row_count_between: {min: 10, max: 10}\n")).success


def test_row_count_vs_previous_compares_with_the_previous_partition() -> None:
    text = "  - row_count_vs_previous: {max_drop: 0.5}\n"
    first = only(validate(ITEMS, text, previous_rows=None))
    assert first.success and first.note == "no previous committed partition to compare with"
    assert only(validate(ITEMS, text, previous_rows=20)).success  # 10 of 20: a drop of exactly 50 %
    dropped = only(validate(ITEMS, text, previous_rows=21))  # at least 11 needed
    assert not dropped.success and dropped.observed == 10


def test_types_match_names_the_column_whose_type_changed() -> None:
    expected = ITEMS.schema.set(ITEMS.schema.get_field_index("id"), pa.field("id", pa.string()))
    result = only(validate(ITEMS, "  - types_match: true\n", expected_schema=expected))
    assert not result.success
    assert result.observed == {"id": "int64 (expected str)"}
    assert result.note == "type changed: id: int64 (expected str)"


def test_check_metadata_carries_percent_and_at_most_20_sampled_rows() -> None:
    data = pa.table({"id": pa.array(range(100), pa.int64()), "amount": [-1.0] * 30 + [1.0] * 70})
    report = validate(data, "  - between: {column: amount, min: 0}\n")
    metadata = report_metadata(report)
    (failure,) = metadata["failures"].value
    assert failure["unexpected_count"] == 30 and failure["unexpected_percent"] == 30.0
    assert SAMPLE_SIZE == 20 and len(failure["sample"]) == SAMPLE_SIZE
    assert failure["sample"][:2] == [{"amount": -1.0, "id": 0}, {"amount": -1.0, "id": 1}]
    assert (
        metadata["failed_errors"] == 1
        and "| between(amount) | error | 30 | 30.00 |" in metadata["failures_table"].value
    )


def test_audit_details_of_long_samples_stay_valid_json_in_the_warehouse(tmp_path: Path) -> None:
    """20 sampled values of 600 characters (quotes and non-ASCII, which JSON escaping lengthens): the
    audit row's details fit 8000 characters and DuckDB still parses them."""
    bad = '"é' * 300  # 600 characters, 2400 once escaped
    data = pa.table({"id": pa.array(range(30), pa.int64()), "code": [bad] * 30})
    report = validate(
        data, "  - regex: {column: code, pattern: '^[A-Z]+$'}\n  - length_between: {column: code, max: 5}\n"
    )
    rows = quality_rows(report, "run-1")
    rows.append(CheckRow.of(asset="a", partition="p", check="c", expectation="e", severity="warn", success=False,
                            run_id="run-1", details={"note": bad * 30}))  # fmt: skip
    with DuckDBWarehouse(str(tmp_path / "wh.duckdb")) as wh:
        record_checks(wh, rows)
        stored = wh.query("select expectation, details, json_valid(details) from audit.check_results order by 1")
    assert [(name, ok) for name, _d, ok in stored] == [
        ("e", True),
        ("length_between(code)", True),
        ("regex(code)", True),
    ]
    assert all(len(details) <= DETAILS_MAX for _n, details, _ok in stored)
    regex = json.loads(stored[2][1])
    assert 0 < len(regex["sample"]) < 20 and regex["sample_truncated"] == 20 - len(regex["sample"])
    assert regex["sample"][0] == {"code": bad, "id": 0}
    note = json.loads(stored[0][1])
    assert note["truncated"] is True and note["chars"] > DETAILS_MAX and note["head"].startswith('{"note": "\\"')


def test_passing_row_expectations_count_zero_and_a_failing_one_beside_them_keeps_its_sample(tmp_path: Path) -> None:
    """Row-by-row expectations that hold are validated for success alone (no counts or samples computed):
    they still report 0 unexpected rows; one that fails beside them is validated again with its counts, its
    sample and keys, and the data docs page lists each expectation once."""
    report = validate(
        ITEMS,
        "  - not_null: [id, status]\n"
        "  - unique: [id]\n"
        "  - in_set: {column: status, values: [new, paid]}\n"
        "  - regex: {column: status, pattern: '^[a-z]+$'}\n",
        docs_dir=tmp_path,
    )
    by_kind = {r.kind: r for r in report.results}
    for kind in ("not_null", "unique", "regex"):
        assert by_kind[kind].success and by_kind[kind].unexpected_count == 0, kind
        assert by_kind[kind].unexpected_percent == 0.0, kind
    in_set = by_kind["in_set"]
    assert not in_set.success and in_set.unexpected_count == 2 and in_set.unexpected_percent == 20.0
    assert sorted((s["id"], s["status"]) for s in in_set.sample) == [(4, "lost"), (7, "gone")]
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", report.data_docs.read_text()))
    # five GE expectations (not_null is one per column), each once: the failing one from its second run
    assert "Evaluated Expectations 5 Successful Expectations 4 Unsuccessful Expectations 1" in page
    assert "lost" in page
