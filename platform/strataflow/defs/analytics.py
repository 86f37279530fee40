"""Dagster wiring of the analytics layer: metric definitions as metadata on the dbt assets they read, and
the dbt exposures (dashboards, ML feature tables) as external assets downstream of their models.

dagster-dbt 0.29 turns models, seeds, snapshots and sources into assets but not exposures, so each exposure
becomes an AssetSpec keyed [exposure, <name>] that depends on the assets of the nodes it names."""

from __future__ import annotations

import json
from pathlib import Path

from dagster import AssetKey, AssetsDefinition, AssetSpec, MetadataValue

from strataflow.metrics import metric_metadata_by_model


def _metric_table(metrics: list[dict[str, str]]) -> str:
    rows = [
        f"| {m['metric']} | {m['type']} | {m['certification']} | {m['owner']} | {m['description']} |" for m in metrics
    ]
    return "\n".join(
        ["| metric | type | certification | owner | description |", "| --- | --- | --- | --- | --- |", *rows]
    )


def with_metric_metadata(dbt: AssetsDefinition, manifest: Path) -> AssetsDefinition:
    """The dbt assets with `strataflow/metrics` metadata on every model a metric reads."""
    by_model = metric_metadata_by_model(manifest.parent)
    if not by_model:
        return dbt

    def attach(spec: AssetSpec) -> AssetSpec:
        metrics = by_model.get(spec.key.path[-1])
        if not metrics:
            return spec
        return spec.merge_attributes(
            metadata={
                "strataflow/metrics": MetadataValue.md(_metric_table(metrics)),
                "strataflow/metric_names": MetadataValue.json([m["metric"] for m in metrics]),
            }
        )

    return dbt.map_asset_specs(attach)


def exposure_specs(manifest: Path, dbt: list[AssetsDefinition]) -> list[AssetSpec]:
    """One external asset per dbt exposure, downstream of the models it depends on."""
    doc = json.loads(manifest.read_text())
    key_by_model = {key.path[-1]: key for part in dbt for key in part.keys}

    def asset_name(unique_id: str) -> str:  # as StrataflowDbtTranslator names a (versioned) model
        node = doc.get("nodes", {}).get(unique_id, {})
        name, version = node.get("name", unique_id.split(".")[-1]), node.get("version")
        if version is not None and str(version) != str(node.get("latest_version")):
            name = f"{name}_v{version}"
        return name

    specs = []
    for exposure in doc.get("exposures", {}).values():
        names = [asset_name(node) for node in exposure.get("depends_on", {}).get("nodes", [])]
        deps = [key_by_model[name] for name in names if name in key_by_model]
        owner = exposure.get("owner") or {}
        specs.append(
            AssetSpec(
                key=AssetKey(["exposure", exposure["name"]]),
                deps=deps,
                description=exposure.get("description") or None,
                group_name="exposures",
                kinds={exposure.get("type") or "exposure"},
                owners=[owner["email"]] if "@" in str(owner.get("email") or "") else ["team:analytics-engineering"],
                tags={"layer": "exposures"},
                metadata={
                    "dbt/exposure_type": exposure.get("type") or "",
                    "dbt/maturity": exposure.get("maturity") or "",
                    "dbt/owner": owner.get("email") or owner.get("name") or "",
                    **({"dbt/url": MetadataValue.url(exposure["url"])} if exposure.get("url") else {}),
                },
            )
        )
    return specs
