"""How dbt models and tests appear in Dagster: keys [<layer>, <model>], the layer as group, owners, tags
(layer, materialization), code references to the model's SQL and YAML, and descriptions of the checks."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckSpec,
    AssetKey,
    AssetSpec,
    AutomationCondition,
    BetaWarning,
    CodeReferencesMetadataValue,
    LocalFileCodeReference,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from strataflow.defs.automation import downstream_condition

LAYERS = ("vin", "vlt", "ain", "ana", "mrt")
LAYER_NAMES = {
    "vin": "vault intermediate",
    "vlt": "vault: hubs, links, SCD2 satellites",
    "ain": "analytics intermediate",
    "ana": "analytics: business objects with measures",
    "mrt": "marts",
}
# Owners of the dbt models when their YAML names none (`meta: {owners: [...]}` on a model or folder).
DEFAULT_OWNERS = ("team:analytics-engineering",)

_CHECK_WHAT = {
    "not_null": "has no NULLs",
    "unique": "is unique",
    "accepted_values": "only holds the accepted values",
    "relationships": "references an existing row of its parent",
}


class StrataflowDbtTranslator(DagsterDbtTranslator):
    """Models are keyed [<layer>, <model>] (their folder), so the UI reads the layers left to right."""

    def __init__(self, project_dir: Path | None = None) -> None:
        # Source tests (keys of full snapshots) become checks on the src/<source>/<table> assets.
        super().__init__(
            settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_source_tests_as_checks=True)
        )
        self._project_dir = project_dir

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] in ("model", "snapshot", "seed") and len(fqn) > 2:
            name, version = dbt_resource_props["name"], dbt_resource_props.get("version")
            if version is not None and str(version) != str(dbt_resource_props.get("latest_version")):
                name = f"{name}_v{version}"  # an older version of a versioned model: its own asset
            return AssetKey([fqn[1], name])
        return super().get_asset_key(dbt_resource_props)

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> AutomationCondition | None:
        return downstream_condition()

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 and fqn[1] in LAYERS else super().get_group_name(dbt_resource_props)

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = manifest["nodes"].get(unique_id)
        if props is None or props["resource_type"] not in ("model", "snapshot", "seed"):
            return spec
        layer = spec.group_name or ""
        config = props.get("config", {})
        meta = {**props.get("meta", {}), **config.get("meta", {})}
        owners = list(spec.owners) or list(meta.get("owners") or DEFAULT_OWNERS)
        tags = {**spec.tags, "layer": layer, "materialized": str(config.get("materialized", ""))}
        if config.get("incremental_strategy") and config.get("materialized") == "incremental":
            tags["incremental_strategy"] = str(config["incremental_strategy"])
        metadata: dict[str, Any] = {}
        if refs := self._code_references(props):
            metadata["dagster/code_references"] = refs
        if layer in LAYER_NAMES:
            metadata["layer"] = f"{layer.upper()}: {LAYER_NAMES[layer]}"
        return spec.replace_attributes(owners=owners, tags=tags).merge_attributes(metadata=metadata)

    def get_asset_check_spec(
        self, asset_spec: AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        test = manifest["nodes"].get(unique_id)
        if spec is None or test is None or spec.description:
            return spec
        return spec._replace(description=describe_test(test))

    def _code_references(self, props: Mapping[str, Any]) -> CodeReferencesMetadataValue | None:
        if self._project_dir is None:
            return None
        files = []
        if sql := props.get("original_file_path"):
            files.append((self._project_dir / sql, "dbt model"))
        if yml := props.get("patch_path"):
            files.append((self._project_dir / yml.split("://", 1)[-1], "dbt docs and tests"))
        if not files:
            return None
        with warnings.catch_warnings():  # code references are beta in Dagster 1.13
            warnings.simplefilter("ignore", BetaWarning)
            refs = [LocalFileCodeReference(file_path=str(path), label=label) for path, label in files]
            return CodeReferencesMetadataValue(code_references=refs)


def describe_test(test: Mapping[str, Any]) -> str:
    """One sentence a user can act on: what the dbt test asserts, and whether a failure blocks."""
    if test.get("description"):
        text = test["description"]
    else:
        meta = test.get("test_metadata") or {}
        name = meta.get("name") or test.get("name", "test")
        column = test.get("column_name") or (meta.get("kwargs") or {}).get("column_name")
        what = _CHECK_WHAT.get(name)
        if column and what:
            text = f"dbt test `{name}`: column `{column}` {what}."
        elif column:
            text = f"dbt test `{name}` on column `{column}`."
        else:
            text = f"dbt test `{name}` ({test.get('original_file_path', '')})."
    severity = str(test.get("config", {}).get("severity", "error")).lower()
    gate = "blocks the downstream models when it fails" if severity == "error" else "warns only"
    return f"{text} Severity {severity}: {gate}."
