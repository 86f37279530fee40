"""The metrics layer: MetricFlow over the dbt project's semantic manifest, answering on the warehouse.

Metrics are defined once, in dbt/models/mrt/_metrics.yml (semantic models over the marts, metrics with
owner, certification and description). dbt parse writes them to <target>/semantic_manifest.json; this
module loads that file, plans each query with MetricFlow and runs the SQL on a plain DB-API connection
(DuckDB or PostgreSQL), so the CLI, a test or a benchmark ask the same engine without a dbt adapter.
`catalog()` lists every metric with the models and columns it reads, for docs and audit.metric_catalog.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# MetricFlow logs every plan at INFO through the root logger; the CLI prints results, not plans.
logging.getLogger("metricflow").setLevel(logging.WARNING)
logging.getLogger("metricflow_semantics").setLevel(logging.WARNING)

CERTIFICATIONS = ("certified", "provisional", "deprecated")
CATALOG_TABLE = ("audit", "metric_catalog")


@dataclass(frozen=True)
class MetricInfo:
    """One metric as the catalog shows it."""

    name: str
    type: str
    label: str
    description: str
    owner: str
    certification: str
    measures: tuple[str, ...]
    models: tuple[str, ...]
    columns: tuple[str, ...]  # model.column, measures' and the time dimension's


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    sql: str = field(repr=False, default="")


def semantic_manifest_path(target_dir: Path) -> Path:
    return Path(target_dir) / "semantic_manifest.json"


def load_semantic_manifest(target_dir: Path) -> Any:
    from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest

    path = semantic_manifest_path(target_dir)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `dbt parse` (or start the code location) first")
    return parse_manifest_from_dbt_generated_manifest(path.read_text())


def _model_name(semantic_model: Any) -> str:
    return semantic_model.node_relation.alias


def _governance_problems(metric: Any) -> list[str]:
    meta = (metric.config.meta if metric.config else {}) or {}
    problems = []
    if not meta.get("owner"):
        problems.append(f"metric {metric.name}: config.meta.owner is missing")
    if meta.get("certification") not in CERTIFICATIONS:
        problems.append(f"metric {metric.name}: config.meta.certification must be one of {', '.join(CERTIFICATIONS)}")
    if not (metric.description or "").strip():
        problems.append(f"metric {metric.name}: description is missing")
    return problems


def declared_metrics(manifest: Any) -> list[Any]:
    """The metrics of _metrics.yml, without the proxies MetricFlow generates for a measure that a cumulative
    metric reads (named like the measure, no meta)."""
    measures = {m.name for sm in manifest.semantic_models for m in sm.measures}
    return [
        m for m in manifest.metrics if not (m.name in measures and not ((m.config.meta if m.config else None) or {}))
    ]


def governance_problems(manifest: Any) -> list[str]:
    """Every metric must declare an owner, a certification state and a description."""
    return [p for metric in declared_metrics(manifest) for p in _governance_problems(metric)]


def catalog(manifest: Any) -> list[MetricInfo]:
    """Each metric with its measures and the models and columns they read (through derived/ratio inputs)."""
    measures: dict[str, tuple[str, str, str]] = {}  # measure -> (model, column expr, agg time column)
    for sm in manifest.semantic_models:
        time_dims = {d.name: (d.expr or d.name) for d in sm.dimensions}
        default_time = sm.defaults.agg_time_dimension if sm.defaults else None
        for measure in sm.measures:
            time_dim = measure.agg_time_dimension or default_time
            measures[measure.name] = (_model_name(sm), measure.expr or measure.name, time_dims.get(time_dim, ""))
    out = []
    for metric in sorted(declared_metrics(manifest), key=lambda m: m.name):
        names = sorted({m.name for m in metric.type_params.input_measures})
        models = sorted({measures[n][0] for n in names})
        columns = sorted({f"{measures[n][0]}.{c}" for n in names for c in (measures[n][1], measures[n][2]) if c})
        meta = (metric.config.meta if metric.config else {}) or {}
        out.append(
            MetricInfo(
                name=metric.name,
                type=str(metric.type.value if hasattr(metric.type, "value") else metric.type),
                label=metric.label or metric.name,
                description=" ".join((metric.description or "").split()),
                owner=str(meta.get("owner", "")),
                certification=str(meta.get("certification", "")),
                measures=tuple(names),
                models=tuple(models),
                columns=tuple(columns),
            )
        )
    return out


def catalog_markdown(entries: Sequence[MetricInfo]) -> str:
    lines = [
        "# Metric catalog",
        "",
        "Generated by `strataflow metrics catalog` from dbt/models/mrt/_metrics.yml; do not edit.",
        "",
        "| metric | type | certification | owner | description | upstream models | columns |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for e in entries:
        cells = [
            f"`{e.name}`",
            e.type,
            e.certification,
            e.owner,
            e.description.replace("|", "\\|"),
            ", ".join(e.models),
            ", ".join(e.columns),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_catalog_table(conn: Any, entries: Sequence[MetricInfo], placeholder: str) -> None:
    """Replace audit.metric_catalog with the catalog (one row per metric, lists comma-separated)."""
    cur = conn.cursor()
    cur.execute("create schema if not exists audit")
    cur.execute(
        "create table if not exists audit.metric_catalog (metric varchar, metric_type varchar, label varchar, "
        "description varchar, owner varchar, certification varchar, measures varchar, upstream_models varchar, "
        "upstream_columns varchar)"
    )
    cur.execute("delete from audit.metric_catalog")
    marks = ", ".join([placeholder] * 9)
    cur.executemany(
        f"insert into audit.metric_catalog values ({marks})",
        [
            (e.name, e.type, e.label, e.description, e.owner, e.certification, ",".join(e.measures),
             ",".join(e.models), ",".join(e.columns))
            for e in entries
        ],
    )  # fmt: skip
    conn.commit()


class _ConnectionSqlClient:
    """MetricFlow's SqlClient protocol over a DB-API connection (DuckDB or PostgreSQL)."""

    def __init__(self, conn: Any, engine: str):
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
        from metricflow.sql.render.postgres import PostgresSQLSqlPlanRenderer

        if engine not in ("duckdb", "postgres"):
            raise ValueError(f"the metrics layer answers on duckdb or postgres, not {engine!r}")
        self._conn = conn
        self._engine = SqlEngine.DUCKDB if engine == "duckdb" else SqlEngine.POSTGRES
        self._renderer = DuckDbSqlPlanRenderer() if engine == "duckdb" else PostgresSQLSqlPlanRenderer()

    @property
    def sql_engine_type(self) -> Any:
        return self._engine

    @property
    def sql_plan_renderer(self) -> Any:
        return self._renderer

    def query(self, stmt: str, sql_bind_parameter_set: Any = None) -> Any:
        from metricflow.data_table.mf_table import MetricFlowDataTable

        cur = self._conn.cursor()
        cur.execute(stmt)
        names = [d[0] for d in cur.description]
        rows = [tuple(r) for r in cur.fetchall()]
        return MetricFlowDataTable.create_from_rows(column_names=names, rows=rows)

    def execute(self, stmt: str, sql_bind_parameter_set: Any = None) -> None:
        self._conn.cursor().execute(stmt)

    def dry_run(self, stmt: str, sql_bind_parameter_set: Any = None) -> None:
        self._conn.cursor().execute(f"explain {stmt}")

    def close(self) -> None:
        self._conn.close()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"%({bind_parameter_key})s"


class MetricsLayer:
    """Plans metric queries with MetricFlow and runs them on the warehouse connection."""

    def __init__(self, manifest: Any, conn: Any, engine: str):
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        self.manifest = manifest
        self._conn = conn
        self._engine = engine
        self._mf = MetricFlowEngine(
            semantic_manifest_lookup=SemanticManifestLookup(manifest),
            sql_client=_ConnectionSqlClient(conn, engine),
        )

    def list_metrics(self) -> list[MetricInfo]:
        return catalog(self.manifest)

    def dimensions(self, metric_names: Sequence[str]) -> list[str]:
        return sorted({d.dunder_name for d in self._mf.list_dimensions(metric_names=list(metric_names))})

    def explain(self, metrics: Sequence[str], group_by: Sequence[str] = (), **options: Any) -> str:
        request = self._request(metrics, group_by, **options)
        return self._mf.explain(request).sql_statement.sql

    def query(self, metrics: Sequence[str], group_by: Sequence[str] = (), **options: Any) -> QueryResult:
        """Run a metric query; `options`: where (list of MetricFlow filters), order_by, limit."""
        sql = self.explain(metrics, group_by, **options)
        cur = self._conn.cursor()
        cur.execute(sql)
        return QueryResult([d[0].lower() for d in cur.description], [tuple(r) for r in cur.fetchall()], sql)

    def _request(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str],
        where: Sequence[str] | None = None,
        order_by: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> Any:
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        return MetricFlowQueryRequest.create(
            metric_names=list(metrics),
            group_by_names=list(group_by),
            where_constraints=list(where) if where else None,
            order_by_names=list(order_by) if order_by else None,
            limit=limit,
        )


def open_layer(target_dir: Path, conn: Any, engine: str) -> MetricsLayer:
    return MetricsLayer(load_semantic_manifest(target_dir), conn, engine)


def metric_metadata_by_model(target_dir: Path) -> dict[str, list[dict[str, str]]]:
    """{dbt model name: [metric definitions reading it]} from the semantic manifest JSON, without loading
    MetricFlow (the Dagster code location calls this on every load)."""
    path = semantic_manifest_path(target_dir)
    if not path.exists():
        return {}
    doc = json.loads(path.read_text())
    model_of = {}
    for sm in doc.get("semantic_models", []):
        for measure in sm.get("measures", []):
            model_of[measure["name"]] = sm["node_relation"]["alias"]
    out: dict[str, list[dict[str, str]]] = {}
    for metric in sorted(doc.get("metrics", []), key=lambda m: m["name"]):
        meta = (metric.get("config") or {}).get("meta") or {}
        if metric["name"] in model_of and not meta:  # a generated proxy of a measure (declared_metrics)
            continue
        models = sorted(
            {model_of[m["name"]] for m in metric["type_params"].get("input_measures", []) if m["name"] in model_of}
        )
        for model in models:
            out.setdefault(model, []).append(
                {
                    "metric": metric["name"],
                    "type": metric["type"],
                    "description": " ".join((metric.get("description") or "").split()),
                    "owner": str(meta.get("owner", "")),
                    "certification": str(meta.get("certification", "")),
                }
            )
    return out
