"""The demo "shop" source: schema, deterministic data generator and day-by-day change simulator.

Runs against MySQL/MariaDB (pymysql) or an embedded SQLite file, so the local demo needs no server.
"""

from strataflow.demo.connect import Dialect, connect_mysql, connect_sqlite, mysql_params, placeholder
from strataflow.demo.generator import generate
from strataflow.demo.schema import TABLES, create_schema, schema_sql
from strataflow.demo.simulator import ChangeSummary, TableChanges, simulate_day

__all__ = [
    "TABLES",
    "ChangeSummary",
    "Dialect",
    "TableChanges",
    "connect_mysql",
    "connect_sqlite",
    "create_schema",
    "generate",
    "mysql_params",
    "placeholder",
    "schema_sql",
    "simulate_day",
]
