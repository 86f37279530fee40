"""Source readers (MySQL via connectorx, SQLite for the demo) and the partition read plan."""

from strataflow.extract.extractor import ExtractPlan, SpooledExtract, plan_extract, spool_rows
from strataflow.extract.mysql import MySQLReader
from strataflow.extract.reader import SourceReader
from strataflow.extract.retry import SourceUnavailableError
from strataflow.extract.sqlite import SQLiteReader

__all__ = [
    "ExtractPlan",
    "MySQLReader",
    "SQLiteReader",
    "SourceReader",
    "SourceUnavailableError",
    "SpooledExtract",
    "plan_extract",
    "spool_rows",
]
