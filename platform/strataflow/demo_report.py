"""What the demo built, read back from the warehouse, and where to look next: the end-of-demo summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

LAYERS = ("src", "vin", "vlt", "ain", "ana", "mrt")
SAMPLE_QUERY = "select * from mrt.mrt_customer_cohort_retention order by 1, 2"


@dataclass
class DemoReport:
    raw_rows: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # per warehouse layer
    tables: dict[str, int] = field(default_factory=dict)  # per warehouse layer
    marts: dict[str, int] = field(default_factory=dict)  # rows per mart
    customer_versions: tuple[int, int] | None = None  # (customer_id, versions) with the most SCD2 versions
    deleted_customer: int | None = None
    deleted_order_item: int | None = None
    late_rows: int = 0


def read_warehouse(path: Path, report: DemoReport) -> DemoReport:
    with duckdb.connect(str(path), read_only=True) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables where table_schema in "
            f"({', '.join(repr(s) for s in LAYERS)}) order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            (n,) = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            report.rows[schema] = report.rows.get(schema, 0) + n
            report.tables[schema] = report.tables.get(schema, 0) + 1
            if schema == "mrt":
                report.marts[table] = n
        report.customer_versions = conn.execute(
            "select hub.customer_id, count(*) from vlt.vlt_sat_customer sat "
            "join vlt.vlt_hub_customer hub using (customer_hk) group by 1 order by 2 desc, 1 limit 1"
        ).fetchone()
        row = conn.execute(
            "select min(hub.customer_id) from vlt.vlt_sat_customer sat "
            "join vlt.vlt_hub_customer hub using (customer_hk) where sat.is_current and sat.is_deleted"
        ).fetchone()
        report.deleted_customer = row[0] if row else None
        row = conn.execute(
            "select min(link.order_item_id) from vlt.vlt_sat_order_item sat "
            "join vlt.vlt_link_order_item link using (order_item_hk) where sat.is_deleted"
        ).fetchone()
        report.deleted_order_item = row[0] if row else None
    return report
