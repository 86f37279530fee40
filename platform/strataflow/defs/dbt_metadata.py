"""Column types and row counts of the dbt models, attached to their materializations as they are built.

The post-hook macro `log_table_metadata` (dbt/macros/table_metadata.sql) logs, right after each model
is built and inside dbt's own connection, one line `strataflow_table_metadata {json}` with the relation's
columns (types from the warehouse catalog) and, for tables, its row count. This stream reads those lines
and adds `dagster/column_schema` (names, types, and the descriptions of the model's YAML) and
`dagster/row_count` to the model's Output. Nothing waits for the dbt process to end, and no second
connection competes with dbt for the DuckDB file lock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetMaterialization, Output, TableColumn, TableSchema
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

PREFIX = "strataflow_table_metadata "


def parse_line(message: str) -> dict[str, Any] | None:
    """The payload of a `strataflow_table_metadata {json}` log line, else None."""
    if not message.startswith(PREFIX):
        return None
    try:
        payload = json.loads(message[len(PREFIX) :])
    except ValueError:
        return None
    return payload if isinstance(payload, dict) and "unique_id" in payload else None


def table_metadata(payload: Mapping[str, Any], node: Mapping[str, Any]) -> dict[str, Any]:
    """dagster/column_schema with the warehouse's names and types and the YAML's descriptions (matched
    case-insensitively: Snowflake reports upper-case names); dagster/row_count for tables."""
    documented = {name.lower(): col for name, col in (node.get("columns") or {}).items()}
    columns = []
    for name, data_type in payload.get("columns") or []:
        doc = documented.get(str(name).lower(), {})
        columns.append(
            TableColumn(
                name=str(name).lower() if str(name).isupper() else str(name),
                type=str(data_type).lower(),
                description=doc.get("description") or None,
                tags={tag: "" for tag in doc.get("tags") or []},
            )
        )
    metadata: dict[str, Any] = {}
    if columns:
        metadata["dagster/column_schema"] = TableSchema(columns=columns)
    if payload.get("row_count") is not None:
        metadata["dagster/row_count"] = int(payload["row_count"])
    return metadata


def stream_with_table_metadata(invocation: DbtCliInvocation) -> Iterator[Any]:
    """The Dagster events of a dbt invocation (as `invocation.stream()` gives them), each model's Output
    carrying the column schema and row count its post-hook logged."""
    seen: dict[str, dict[str, Any]] = {}
    for event in invocation.stream_raw_events():
        info = event.raw_event.get("info", {})
        if info.get("name") == "JinjaLogInfo" and (payload := parse_line(str(info.get("msg", "")))):
            seen[payload["unique_id"]] = payload
            continue
        for dagster_event in event.to_default_asset_events(
            manifest=invocation.manifest,
            dagster_dbt_translator=invocation.dagster_dbt_translator,
            context=invocation.context,
            target_path=invocation.target_path,
            project=invocation.project,
        ):
            if isinstance(dagster_event, (Output, AssetMaterialization)):
                unique_id = getattr(dagster_event.metadata.get("unique_id"), "text", None)
                payload = seen.pop(unique_id, None) if unique_id else None
                node = invocation.manifest["nodes"].get(unique_id, {}) if unique_id else {}
                if payload:
                    dagster_event = dagster_event.with_metadata(
                        {**dagster_event.metadata, **table_metadata(payload, node)}
                    )
            yield dagster_event
