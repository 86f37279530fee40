"""Source readers (MySQL via connectorx, SQLite for the demo) and the RAW partition extract."""

from strataflow.extract.extractor import ExtractResult, extract_partition
from strataflow.extract.mysql import MySQLReader
from strataflow.extract.reader import SourceReader
from strataflow.extract.retry import SourceUnavailableError
from strataflow.extract.sqlite import SQLiteReader
from strataflow.extract.windows import Window, partition_window

__all__ = [
    "ExtractResult",
    "MySQLReader",
    "SQLiteReader",
    "SourceReader",
    "SourceUnavailableError",
    "Window",
    "extract_partition",
    "partition_window",
]
