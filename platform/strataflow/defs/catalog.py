"""What the Dagster UI shows of the RAW and SRC layers and of the source tables upstream of them.

Descriptions, owners and tags come from the table registry (configs/sources/<source>.yaml), kinds from
the environment (the source's and the warehouse's kind), code references point at the registry entry.
The asset factories stay about execution: this module maps their specs (`document_lake_assets`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa
from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BetaWarning,
    CodeReferencesMetadataValue,
    LocalFileCodeReference,
    TableColumn,
    TableSchema,
)

from strataflow.config import Project, TableRef

KIND_TAG = "dagster/kind/"
SOURCE_GROUP = "source"
RAW_GROUP = "raw"
SRC_GROUP = "src"

# The SRC metadata columns (see docs/architecture.md, SRC table contract).
SRC_META_COLUMNS = {
    "_batch_id": "The RAW batch this row was standardized from (content-addressed).",
    "_partition": "The load partition (UTC day or hour) the row arrived in.",
    "_loaded_at": "When the RAW batch was committed to the lake (UTC).",
    "_op": "Change operation: I (created in the partition), U (updated), D (deleted).",
}


def source_key(ref: TableRef) -> AssetKey:
    return AssetKey(["source", ref.source, ref.name])


def source_kind(project: Project, source: str) -> str:
    return project.environment.sources[source].kind


def warehouse_kind(project: Project) -> str:
    return project.environment.warehouse.kind


def owners(project: Project, ref: TableRef) -> list[str]:
    """The table's owners, else its source's."""
    return list(ref.config.owners or project.registries[ref.source].owners)


def tags(project: Project, ref: TableRef, layer: str) -> dict[str, str]:
    """layer, load type and source, then the source's and the table's own tags (the table's win)."""
    return {
        "layer": layer,
        "load_type": ref.config.load_type,
        "source": ref.source,
        **project.registries[ref.source].tags,
        **ref.config.tags,
    }


def registry_line(ref: TableRef) -> int | None:
    """The line of the table's `- name: <table>` entry in its registry file (1-based)."""
    try:
        lines = ref.file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for n, line in enumerate(lines, start=1):
        stripped = line.strip().removeprefix("-").strip()
        if stripped.replace('"', "").replace("'", "") == f"name: {ref.name}":
            return n
    return None


def code_references(ref: TableRef) -> CodeReferencesMetadataValue:
    with warnings.catch_warnings():  # code references are beta in Dagster 1.13
        warnings.simplefilter("ignore", BetaWarning)
        return CodeReferencesMetadataValue(
            code_references=[
                LocalFileCodeReference(
                    file_path=str(Path(ref.file).resolve()),
                    line_number=registry_line(ref),
                    label=f"table registry: {ref.source}.{ref.name}",
                )
            ]
        )


def column_descriptions(ref: TableRef, layer: str) -> dict[str, str]:
    """Registry column descriptions keyed by the column's name in the layer (SRC: after rename)."""
    cfg = ref.config
    out: dict[str, str] = {}
    for column, col_cfg in cfg.columns.items():
        name = column if layer == RAW_GROUP else cfg.output_name(column)
        if col_cfg.description:
            out[name] = col_cfg.description
    key_note = "primary key"
    for column in cfg.primary_key:
        name = column if layer == RAW_GROUP else cfg.output_name(column)
        out[name] = f"{out[name]} ({key_note})" if name in out else key_note.capitalize() + "."
    if layer == SRC_GROUP:
        for column in cfg.pii:
            name = cfg.output_name(column)
            masked = "PII: sha256(salt || value), hex."
            out[name] = f"{out[name]} {masked}" if name in out else masked
        out.update(SRC_META_COLUMNS)
    return out


def column_schema(schema: pa.Schema, descriptions: Mapping[str, str]) -> TableSchema:
    """dagster/column_schema of an Arrow schema: names, Arrow types, registry descriptions."""
    return TableSchema(
        columns=[TableColumn(name=f.name, type=str(f.type), description=descriptions.get(f.name)) for f in schema]
    )


def table_metadata(ref: TableRef, layer: str, schema: pa.Schema | None, rows: int) -> dict[str, TableSchema | int]:
    """Materialization metadata of a RAW/SRC partition: its row count and (if it has files) its schema."""
    out: dict[str, TableSchema | int] = {"dagster/row_count": rows}
    if schema is not None:
        out["dagster/column_schema"] = column_schema(schema, column_descriptions(ref, layer))
    return out


def _describe(project: Project, ref: TableRef, layer: str) -> str:
    cfg = ref.config
    what = cfg.description or f"Table {ref.name} of the {ref.source} source."
    kind = source_kind(project, ref.source)
    if layer == RAW_GROUP:
        how = (
            f"RAW: rows of `{ref.source}.{ref.name}` exactly as extracted from {kind}, one Parquet batch set per "
            f"partition (load type `{cfg.load_type}`)."
        )
    else:
        how = (
            f"SRC: `{ref.source}.{ref.name}` standardized (snake_case, typed, trimmed, UTC, deduplicated by key, "
            f"PII masked, with _batch_id/_partition/_loaded_at/_op) and validated by its expectation suite "
            f"(a blocking check), in the lake and in the warehouse table `src.{ref.warehouse_table}`: the dbt "
            f"source `{ref.source}.{ref.name}`."
        )
    return f"{what}\n\n{how}"


def _document(
    project: Project, refs: Mapping[AssetKey, tuple[TableRef, str]], checked: set[AssetKey], spec: AssetSpec
) -> AssetSpec:
    if spec.key not in refs:
        return spec
    ref, layer = refs[spec.key]
    kinds = {source_kind(project, ref.source), "parquet"}
    metadata: dict[str, object] = {"dagster/code_references": code_references(ref)}
    deps = list(spec.deps)
    if layer == RAW_GROUP:
        deps.append(source_key(ref))
    else:
        kinds = {"polars", "parquet", warehouse_kind(project)}
        if spec.key in checked:
            kinds.add("great_expectations")
        metadata["dagster/table_name"] = f"src.{ref.warehouse_table}"
    return spec.replace_attributes(
        group_name=layer,
        description=_describe(project, ref, layer),
        owners=owners(project, ref),
        tags={**{k: v for k, v in spec.tags.items() if not k.startswith(KIND_TAG)}, **tags(project, ref, layer)},
        kinds=kinds,
        deps=deps,
    ).merge_attributes(metadata=metadata)


def document_lake_assets(project: Project, assets: Sequence[AssetsDefinition]) -> list[AssetsDefinition]:
    """The RAW/SRC assets with the registry's descriptions, owners, tags, kinds, groups raw / src,
    code references, and the source table as an upstream dependency of RAW."""
    refs: dict[AssetKey, tuple[TableRef, str]] = {}
    for ref in project.tables():
        refs[AssetKey(["raw", ref.source, ref.name])] = (ref, RAW_GROUP)
        refs[AssetKey(["src", ref.source, ref.name])] = (ref, SRC_GROUP)
    checked = {key.asset_key for a in assets for key in a.check_keys}
    return [a.map_asset_specs(lambda spec: _document(project, refs, checked, spec)) for a in assets]


def source_table_specs(project: Project) -> list[AssetSpec]:
    """The source tables (MySQL/SQLite) as external assets: strataflow reads them and never writes them,
    so they are shown, not materialized; every RAW asset depends on its table."""
    specs = []
    for ref in project.tables():
        kind = source_kind(project, ref.source)
        registry = project.registries[ref.source]
        specs.append(
            AssetSpec(
                key=source_key(ref),
                group_name=SOURCE_GROUP,
                description=(
                    f"{ref.config.description or ''}\n\nThe table `{ref.name}` of the {kind} source `{ref.source}`"
                    f"{': ' + registry.description if registry.description else ''} "
                    "(external: strataflow reads it and never writes it)."
                ).strip(),
                kinds={kind},
                owners=owners(project, ref),
                tags=tags(project, ref, SOURCE_GROUP),
                metadata={"dagster/code_references": code_references(ref), "dagster/table_name": ref.name},
            )
        )
    return specs
