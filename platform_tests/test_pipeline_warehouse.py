"""The whole demo end to end, on DuckDB and on PostgreSQL: MariaDB demo source -> RAW -> SRC -> dbt.

One scenario per warehouse, played once for the module, through the main job `strataflow_daily`:

  history  generate three days of shop data (2025-01-01 .. 03); RAW and SRC for 01 and 02, then the
           whole job (RAW, SRC, dbt) for 03: a backfill whose first dbt build reads every partition
  day 4    simulate 2025-01-04; the whole job again for 03 (RAW, SRC and dbt: the rows the simulator
           back-dated into it), then for 04; each dbt run reads its own partition (no lookback)
  day 5    simulate 2025-01-05, then change again one customer and one product the simulator changed on
           day 4; the same for 04 and 05
  re-run   the same runs for 04 and 05 once more: nothing may change

The tests compare the warehouse with what this module computes in Python from the SOURCE database's
rows (read from MariaDB, never from the warehouse), following the measure definitions in the dbt models'
YAML (shop_expectations.py); SCD2 history with the versions the source went through; the audit table
with the Dagster materializations and the SRC lake manifests.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pymysql
import pytest
from dagster import AssetKey, DagsterInstance, Definitions, ExecuteInProcessResult

from conftest import MYSQL, mysql_connect
from pipeline_helpers import (
    START,
    day_keys,
    expected_src_row,
    make_project,
    mysql_source_config,
    run_partitions,
    source_rows,
)
from shop_expectations import (
    Orders,
    differences,
    expected_ain,
    expected_customers,
    expected_marts,
    expected_products,
    expected_vault,
    md5_key,
)
from strataflow.config import Project
from strataflow.connections import open_storage
from strataflow.definitions import build_definitions
from strataflow.defs.jobs import MAIN_JOB
from strataflow.defs.lake_assets import raw_key, src_key
from strataflow.demo import ChangeSummary, create_schema, generate, simulate_day
from strataflow.lake import partition_prefix, read_manifest

PG = {
    "host": os.environ.get("STRATAFLOW_TEST_PG_HOST", "127.0.0.1"),
    "port": int(os.environ.get("STRATAFLOW_TEST_PG_PORT", "5432")),
    "user": os.environ.get("STRATAFLOW_TEST_PG_USER", "postgres"),
}
SCALE = 300
HISTORY_DAYS = 3
LAYERS = ("vlt", "ain", "ana", "mrt")
LINEAGE_ORDER = ("raw", "src", "vin", "vlt", "ain", "ana", "mrt")
SCD2_ENTITIES = {"customer": ("customers", "customer_id"), "product": ("products", "product_id")}
# Current-state vault satellites whose expectation only needs the source's current rows (the hubs' load
# dates need the first change-log row of a key, which the source no longer shows).
CURRENT_STATE_VAULT = ("vlt_sat_order_item", "vlt_sat_order_payment", "vlt_sat_vendor")


# ------------------------------------------------------------------------------------------ warehouses


class WarehouseReader:
    """Reads the warehouse a project loads into. Each query opens and closes its own connection, so no
    lock is held while a run writes (a DuckDB file has a single writer)."""

    def __init__(self, kind: str, target: str) -> None:
        self.kind, self.target = kind, target

    def query(self, sql: str) -> list[dict[str, Any]]:
        if self.kind == "duckdb":
            with contextlib.closing(duckdb.connect(self.target, read_only=True)) as conn:
                cursor = conn.execute(sql)
                names = [d[0].lower() for d in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        with psycopg.connect(**PG, dbname=self.target) as conn:
            cursor = conn.execute(sql)
            names = [d[0].lower() for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def tables(self, schemas: tuple[str, ...]) -> list[str]:
        listed = ", ".join(f"'{s}'" for s in schemas)
        rows = self.query(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({listed}) and table_type = 'BASE TABLE' order by 1, 2"
        )
        return [f"{r['table_schema']}.{r['table_name']}" for r in rows]

    def model(self, name: str) -> list[dict[str, Any]]:
        """A dbt model's rows: its layer (the name's prefix) is its schema."""
        return self.query(f"select * from {name.split('_')[0]}.{name}")


def snapshot(wh: WarehouseReader, schemas: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Every table of the schemas with its rows sorted, every column included: `_loaded_at` columns
    record when SRC was built from an unchanged RAW batch, so they must not move on a re-run either."""
    return {t: sorted(tuple(map(repr, r.values())) for r in wh.query(f"select * from {t}")) for t in wh.tables(schemas)}


@contextlib.contextmanager
def duckdb_warehouse(tmp: Path) -> Iterator[tuple[dict, WarehouseReader]]:
    path = tmp / "warehouse.duckdb"
    yield {"kind": "duckdb", "path": str(path)}, WarehouseReader("duckdb", str(path))


@contextlib.contextmanager
def postgres_warehouse() -> Iterator[tuple[dict, WarehouseReader]]:
    """A fresh database, dropped afterwards. Its sessions run in New York time, so a date taken from a
    timestamptz without converting to UTC first shows up as a wrong day."""
    name = f"sf_wh_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f"create database {name}")
        admin.execute(f"alter database {name} set timezone to 'America/New_York'")
    try:
        config = {**PG, "kind": "postgres", "password": "${TEST_PG_PASSWORD:-}", "database": name}
        yield config, WarehouseReader("postgres", name)
    finally:
        with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
            admin.execute(f"drop database if exists {name} with (force)")


@contextlib.contextmanager
def mariadb_source() -> Iterator[str]:
    """A fresh MariaDB database holding the demo shop's generated history; dropped afterwards."""
    name = f"sf_e2e_{uuid.uuid4().hex[:10]}"
    with contextlib.closing(pymysql.connect(**MYSQL, autocommit=True)) as admin, admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        with mysql_connect(name) as conn:
            create_schema(conn, "mysql")
            generate(conn, "mysql", scale=SCALE, start=START, days=HISTORY_DAYS)
        yield name
    finally:
        with contextlib.closing(pymysql.connect(**MYSQL, autocommit=True)) as admin, admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


# ------------------------------------------------------------------------------------------ the source


def utc(value: datetime) -> datetime:
    """The demo source runs in UTC: its naive DATETIMEs are UTC instants."""
    return value.replace(tzinfo=UTC)


def source_as_src(project: Project, database: str) -> dict[str, list[dict]]:
    """Every shop table's current source rows, shaped as SRC shapes them (renames, trimming, masking, UTC,
    bools), one row per key: the input shop_expectations computes the models from."""
    tables = {}
    for ref in project.tables():
        soft_delete = ref.config.soft_delete
        rows = []
        for row in source_rows(database, ref.name):
            shaped = expected_src_row(ref, row)
            shaped["_op"] = "D" if soft_delete and row[soft_delete] is not None else "U"
            shaped["_partition"] = row["updated_at"].date().isoformat()
            rows.append(shaped)
        tables[ref.name] = rows
    return tables


def expected_models(src: dict[str, list[dict]]) -> dict[str, dict]:
    """The AIN, ANA and MRT models and the current-state satellites, computed from the source."""
    orders = Orders.of(src)
    vault = {model: rows for model, rows in expected_vault(src).items() if model in CURRENT_STATE_VAULT}
    return (
        expected_ain(orders)
        | expected_customers(orders, src)
        | expected_products(orders, src)
        | expected_marts(orders, src)
        | vault
    )


Version = tuple[datetime, bool]  # (updated_at in UTC, soft-deleted)


def entity_versions(database: str) -> dict[str, dict[int, Version]]:
    """The customers' and products' current (updated_at, deleted) in the source, by entity and key."""
    return {
        entity: {
            row[key]: (utc(row["updated_at"]), row["deleted_at"] is not None) for row in source_rows(database, table)
        }
        for entity, (table, key) in SCD2_ENTITIES.items()
    }


def change_again(database: str, entity: str, key: int, when: datetime) -> None:
    """A second change, on another day, of a key the simulator changed the day before (a customer moves
    again, a product is repriced again), so the history of such a key is always exercised."""
    table, column = SCD2_ENTITIES[entity]
    change = "city = 'Second Move'" if entity == "customer" else "price = price + 1"
    with mysql_connect(database) as conn, conn.cursor() as cur:
        cur.execute(f"UPDATE `{table}` SET {change}, updated_at = %s WHERE `{column}` = %s", (when, key))
        assert cur.rowcount == 1
        conn.commit()


# ------------------------------------------------------------------------------------------ the scenario


@dataclass
class Scenario:
    kind: str
    project: Project
    defs: Definitions
    database: str  # the MariaDB source
    warehouse: WarehouseReader
    instance: DagsterInstance = field(default_factory=DagsterInstance.ephemeral)
    results: list[ExecuteInProcessResult] = field(default_factory=list)
    summaries: dict[date, ChangeSummary] = field(default_factory=dict)
    # the customers' and products' versions as the source held them whenever the extracts caught up
    source_versions: list[dict[str, dict[int, Version]]] = field(default_factory=list)
    changed_again: dict[str, int] = field(default_factory=dict)  # entity -> key changed on day 4 and day 5
    problems: dict[str, list[str]] = field(default_factory=dict)  # step -> models differing from Python
    order_lines: dict[str, set[int]] = field(default_factory=dict)  # step -> ain_order_lines keys
    before_rerun: dict[str, list[tuple]] = field(default_factory=dict)
    after_rerun: dict[str, list[tuple]] = field(default_factory=dict)
    audit_before_rerun: Counter = field(default_factory=Counter)
    audit_after_rerun: Counter = field(default_factory=Counter)
    rerun_keys: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def run(self, step: str, keys: list[str], *, extract_only: Sequence[str] = ()) -> None:
        """Run the main job: RAW and SRC alone for `extract_only`, then RAW, SRC and dbt for `keys`."""
        started = time.monotonic()
        job = self.defs.resolve_job_def(MAIN_JOB)
        raw_and_src = [key for ref in self.project.tables() for key in (raw_key(ref), src_key(ref))]
        self.results += run_partitions(
            self.project, list(extract_only), self.instance, job=job, asset_selection=raw_and_src
        )
        self.results += run_partitions(self.project, keys, self.instance, job=job)
        self.timings[step] = time.monotonic() - started

    def simulate(self, day_offset: int) -> ChangeSummary:
        day = START + timedelta(days=day_offset)
        with mysql_connect(self.database) as conn:
            summary = simulate_day(conn, "mysql", day, seed=day_offset)
        self.summaries[day] = summary
        return summary

    def record(self, step: str) -> None:
        """After the extracts caught up with the source: compare the models with Python over the source."""
        src = source_as_src(self.project, self.database)
        self.problems[step] = differences(expected_models(src), self.warehouse.model)
        self.source_versions.append(entity_versions(self.database))
        self.order_lines[step] = {r["order_item_id"] for r in self.warehouse.model("ain_order_lines")}

    def audit_rows(self) -> Counter:
        """audit.load_log's rows counted by (asset, partition, status)."""
        rows = self.warehouse.query("select asset, partition, status from audit.load_log")
        return Counter((r["asset"], r["partition"], r["status"]) for r in rows)


def play(s: Scenario) -> Scenario:
    """The scenario of the module docstring. A backfill's first dbt build reads the whole change log; after
    that each run's dbt reads only its own partition, so the partition the late rows were re-extracted into
    is re-run whole (RAW, SRC and dbt), as a user or sensor does in Dagster."""
    history = day_keys(0, HISTORY_DAYS - 1)
    s.run("history", history[-1:], extract_only=history[:-1])
    s.record("history")

    yesterday, today = day_keys(HISTORY_DAYS - 1, HISTORY_DAYS)
    day4 = s.simulate(HISTORY_DAYS)
    s.run("day 4", [yesterday, today])
    s.record("day 4")

    yesterday, today = day_keys(HISTORY_DAYS, HISTORY_DAYS + 1)
    day5 = s.simulate(HISTORY_DAYS + 1)
    late_on_day5 = datetime.combine(day5.day, datetime.min.time()) + timedelta(hours=23, microseconds=654321)
    for entity, (table, _key) in SCD2_ENTITIES.items():
        key, changed_on_day5 = min(day4[table].updated), day5[table].keys()
        if key not in changed_on_day5:
            change_again(s.database, entity, key, late_on_day5)
        s.changed_again[entity] = key
    s.run("day 5", [yesterday, today])
    s.record("day 5")

    s.rerun_keys = [yesterday, today]
    s.before_rerun = snapshot(s.warehouse, (*LAYERS, "src"))
    s.audit_before_rerun = s.audit_rows()
    s.run("re-run", [yesterday, today])
    s.after_rerun = snapshot(s.warehouse, (*LAYERS, "src"))
    s.audit_after_rerun = s.audit_rows()
    return s


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    tmp = tmp_path_factory.mktemp(f"e2e-{request.param}")
    warehouse = duckdb_warehouse(tmp) if request.param == "duckdb" else postgres_warehouse()
    with mariadb_source() as database, warehouse as (warehouse_config, reader):
        source = mysql_source_config(database)
        lake = {"kind": "local", "path": str(tmp / "lake")}
        project = make_project(tmp, source, lake, warehouse_config)
        started = time.monotonic()
        s = play(Scenario(request.param, project, build_definitions(project), database, reader))
        s.timings["total"] = time.monotonic() - started
        print(f"\n{request.param} timings: " + ", ".join(f"{k} {v:.0f}s" for k, v in s.timings.items()))
        yield s


# ------------------------------------------------------------------------------------------ 1. measures


@pytest.mark.parametrize("step", ["history", "day 4", "day 5"])
def test_models_equal_python_over_the_source(scenario: Scenario, step: str) -> None:
    problems = scenario.problems[step]
    assert not problems, f"{len(problems)} differences, the first ones:\n" + "\n".join(problems[:25])


# ------------------------------------------------------------------------------------------ 2. history


def satellite_chains(wh: WarehouseReader, entity: str) -> dict[str, list[tuple]]:
    """Each key's versions as (valid_from, valid_to, is_current, is_deleted), oldest first."""
    chains: dict[str, list[tuple]] = defaultdict(list)
    for r in wh.query(
        f"select {entity}_hk as hk, valid_from, valid_to, is_current, is_deleted "
        f"from vlt.vlt_sat_{entity} order by valid_from"
    ):
        chains[r["hk"]].append((r["valid_from"], r["valid_to"], r["is_current"], r["is_deleted"]))
    return dict(chains)


def expected_chains(states: list[dict[int, Version]]) -> dict[str, list[tuple]]:
    """One version per distinct state the extracts saw (the source after the history, after day 4, after
    day 5), each valid until the next one's updated_at; the last one current."""
    seen: dict[int, dict[datetime, bool]] = defaultdict(dict)
    for state in states:
        for key, (updated_at, deleted) in state.items():
            seen[key][updated_at] = deleted
    chains = {}
    for key, versions in seen.items():
        starts = sorted(versions)
        ends = [*starts[1:], None]
        chains[md5_key(key)] = [(s, e, e is None, versions[s]) for s, e in zip(starts, ends, strict=True)]
    return chains


@pytest.mark.parametrize("entity", list(SCD2_ENTITIES))
def test_scd2_history_is_every_version_the_source_went_through(scenario: Scenario, entity: str) -> None:
    states = [versions[entity] for versions in scenario.source_versions]
    assert satellite_chains(scenario.warehouse, entity) == expected_chains(states)


@pytest.mark.parametrize("entity", list(SCD2_ENTITIES))
def test_simulated_changes_are_versions_in_the_satellite(scenario: Scenario, entity: str) -> None:
    table = SCD2_ENTITIES[entity][0]
    chains = satellite_chains(scenario.warehouse, entity)
    # the source as it stood after each simulated day (source_versions[0] is the history)
    after_day = dict(zip(scenario.summaries, scenario.source_versions[1:], strict=True))
    checked = Counter()
    for day, summary in scenario.summaries.items():
        changes = summary[table]
        for kind in ("updated", "back_dated", "soft_deleted"):
            for key in getattr(changes, kind):
                updated_at, deleted = after_day[day][entity][key]
                chain = chains[md5_key(key)]
                starts = [version[0] for version in chain]
                assert updated_at in starts, (day, kind, key)
                position = starts.index(updated_at)
                assert position > 0, f"{kind} {key} on {day}: no earlier version"
                assert chain[position - 1][1] == updated_at, (day, kind, key)
                assert sum(version[2] for version in chain) == 1, key
                if kind == "soft_deleted":
                    assert deleted and chain[-1][3], (day, key)
                checked[kind] += 1
    assert checked["updated"] and checked["back_dated"] and checked["soft_deleted"], checked


@pytest.mark.parametrize("entity", list(SCD2_ENTITIES))
def test_a_key_changed_on_two_days_has_a_version_for_each(scenario: Scenario, entity: str) -> None:
    key = scenario.changed_again[entity]
    chain = satellite_chains(scenario.warehouse, entity)[md5_key(key)]
    days = {version[0].astimezone(UTC).date() for version in chain}
    assert len(chain) >= 2
    assert set(scenario.summaries) <= days, chain


def test_hard_deleted_order_lines_are_gone_from_current_state(scenario: Scenario) -> None:
    s = scenario
    day4, day5 = s.summaries.values()
    deleted_on = {"day 4": set(day4["order_items"].hard_deleted), "day 5": set(day5["order_items"].hard_deleted)}
    assert deleted_on["day 4"] and deleted_on["day 5"]
    # they were order lines before their day, and are none after it
    assert deleted_on["day 4"] <= s.order_lines["history"]
    assert deleted_on["day 5"] <= s.order_lines["day 4"]
    assert not deleted_on["day 4"] & s.order_lines["day 4"]
    gone = deleted_on["day 4"] | deleted_on["day 5"]
    assert not gone & s.order_lines["day 5"]
    # the vault still knows the relationships (links are insert-only), but their current state is removed,
    # as vlt_sat_order_item is configured (deletes='remove')
    links = {r["order_item_id"]: r["order_item_hk"] for r in s.warehouse.model("vlt_link_order_item")}
    current = {r["order_item_hk"] for r in s.warehouse.model("vlt_sat_order_item")}
    assert gone <= set(links)
    assert not {links[item] for item in gone} & current


# ------------------------------------------------------------------------------------------ 3. idempotency


def test_rerunning_partitions_changes_no_table(scenario: Scenario) -> None:
    s = scenario
    assert any(t.startswith("mrt.") for t in s.before_rerun) and any(t.startswith("src.") for t in s.before_rerun)
    changed = [t for t in s.before_rerun if s.after_rerun.get(t) != s.before_rerun[t]]
    assert changed == []
    assert set(s.after_rerun) == set(s.before_rerun)


def test_rerun_adds_one_success_audit_row_per_src_load(scenario: Scenario) -> None:
    s = scenario
    loads = Counter(
        (f"src/{ref.source}/{ref.name}", key, "success") for ref in s.project.tables() for key in s.rerun_keys
    )
    assert s.audit_after_rerun - s.audit_before_rerun == loads
    assert s.audit_before_rerun - s.audit_after_rerun == Counter()  # nothing went away


# ------------------------------------------------------------------------------------------ 4. lineage


def test_every_raw_table_reaches_a_mart(scenario: Scenario) -> None:
    graph = scenario.defs.resolve_asset_graph()
    for ref in scenario.project.tables():
        start = AssetKey(["raw", ref.source, ref.name])
        path = path_to_layer(graph, start, "mrt")
        assert path, f"no path from {start.to_user_string()} to any mrt/ asset"
        assert path[1] == AssetKey(["src", ref.source, ref.name]), path
        layers = [LINEAGE_ORDER.index(key.path[0]) for key in path]
        assert layers == sorted(layers), path  # left to right through the layers


def path_to_layer(graph: Any, start: AssetKey, layer: str) -> list[AssetKey]:
    """Breadth-first along child keys: the shortest path from start to an asset of the layer, or []."""
    came_from: dict[AssetKey, AssetKey | None] = {start: None}
    queue = [start]
    while queue:
        key = queue.pop(0)
        if key.path[0] == layer:
            path = [key]
            while came_from[path[-1]] is not None:
                path.append(came_from[path[-1]])  # type: ignore[arg-type]
            return path[::-1]
        for child in sorted(graph.get(key).child_keys, key=lambda k: k.to_user_string()):
            if child not in came_from:
                came_from[child] = key
                queue.append(child)
    return []


# ------------------------------------------------------------------------------------------ 5. traceability


def test_audit_has_one_success_row_per_src_load_matching_the_lake(scenario: Scenario) -> None:
    s = scenario
    audit = s.warehouse.query("select asset, partition, batch_id, rows_loaded, status, finished_at from audit.load_log")
    assert [r for r in audit if r["status"] != "success"] == []

    # one success row per SRC materialization, with the batch and row count the materialization reported
    materialized = Counter()
    for result in s.results:
        for event in result.get_asset_materialization_events():
            if event.asset_key.path[0] == "src":
                meta = event.step_materialization_data.materialization.metadata
                materialized[
                    (
                        event.asset_key.to_user_string(),
                        event.partition,
                        meta["raw_batch_id"].value,
                        meta["rows_out"].value,
                    )
                ] += 1
    logged = Counter((r["asset"], r["partition"], r["batch_id"], r["rows_loaded"]) for r in audit)
    assert sum(materialized.values()) == len(s.results) * len(s.project.tables())
    assert logged == materialized

    # the latest load of each partition is the batch the SRC lake manifest commits, row for row
    storage = open_storage(s.project)
    latest: dict[tuple[str, str], dict] = {}
    for r in sorted(audit, key=lambda r: r["finished_at"]):
        latest[(r["asset"], r["partition"])] = r
    for (asset, partition), row in latest.items():
        _, source, table = asset.split("/")
        manifest = read_manifest(storage, partition_prefix("src", source, table, partition))
        assert manifest is not None, (asset, partition)
        # the audit's batch id is the one the rows carry in _batch_id (the RAW batch the SRC commit names)
        assert (row["batch_id"], row["rows_loaded"]) == (manifest.extra["raw_batch_id"], manifest.rows), (
            asset,
            partition,
        )

    # and the warehouse's SRC tables hold exactly those rows
    for ref in s.project.tables():
        counts = s.warehouse.query(
            f"select _partition as p, count(*) as n from src.{ref.warehouse_table} group by _partition"
        )
        held = {r["p"]: r["n"] for r in counts}
        asset = f"src/{ref.source}/{ref.name}"
        loads = {p: r for (a, p), r in latest.items() if a == asset}
        if ref.config.load_type == "full":  # the table holds the snapshot loaded last
            last = max(loads.values(), key=lambda r: r["finished_at"])
            expected = {last["partition"]: last["rows_loaded"]}
        else:  # the change log holds every partition's latest load
            expected = {p: r["rows_loaded"] for p, r in loads.items() if r["rows_loaded"]}
        assert held == expected, ref.name
        # every row joins its load's audit row on the batch id
        orphans = s.warehouse.query(
            f"select count(*) as n from src.{ref.warehouse_table} t where not exists (select 1 from audit.load_log a "
            f"where a.batch_id = t._batch_id and a.asset = '{asset}' and a.partition = t._partition)"
        )
        assert orphans[0]["n"] == 0, ref.name
