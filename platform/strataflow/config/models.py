"""Pydantic models of configs/platform.yaml and configs/sources/<source>.yaml."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from strataflow.config.identifiers import check_identifier, is_safe_identifier
from strataflow.config.naming import src_name

LoadType = Literal["full", "incremental", "scd1", "scd2", "cdc"]
MERGE_LOAD_TYPES: frozenset[str] = frozenset({"incremental", "scd1", "scd2", "cdc"})

_TYPE_RE = re.compile(
    r"^(string|bool|int8|int16|int32|int64|float32|float64|date|timestamp|json|binary|decimal\(\d{1,2},\d{1,2}\))$"
)
COLUMN_TYPES_HELP = (
    "string, bool, int8, int16, int32, int64, float32, float64, decimal(p,s), date, timestamp, json, binary"
)


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Identifier = Annotated[str, Field(min_length=1)]


def _identifier(value: str) -> str:
    return check_identifier(value)


# ---------------------------------------------------------------- source table registry


# Dagster's rules for owners and tags, checked here so a bad value fails `strataflow validate`
# with the file and key path instead of failing the code location load.
_OWNER_RE = re.compile(r"^(team:[A-Za-z0-9_.-]+|[^@\s]+@[^@\s]+\.[^@\s]+)$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_.-]{1,63}$")
_TAG_VALUE_RE = re.compile(r"^[A-Za-z0-9_.-]{0,63}$")


def _owners(value: list[str]) -> list[str]:
    for owner in value:
        if not _OWNER_RE.match(owner):
            raise ValueError(f"owner {owner!r} must be an e-mail address or team:<name>")
    return value


def _tags(value: object) -> object:
    """YAML `tags: {pii: }` gives None: a tag without a value. Numbers and booleans become text."""
    if not isinstance(value, dict):
        return value
    tags = {str(k): "" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}
    for key, tag in tags.items():
        if not _TAG_RE.match(key) or not _TAG_VALUE_RE.match(tag):
            raise ValueError(
                f"tag {key}: {tag!r} must use letters, digits, '_', '-' or '.' (at most 63 characters each)"
            )
    return tags


class Documented(StrictModel):
    """What the Dagster UI shows of a source or table: a description, owners and tags."""

    description: str | None = None
    owners: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)

    _check_owners = field_validator("owners")(_owners)
    _check_tags = field_validator("tags", mode="before")(_tags)


class ColumnConfig(StrictModel):
    """Per-column options. `zero_dates`: what to do with MySQL zero dates ('0000-00-00') in this
    DATE/DATETIME column: `error` (default: the run fails naming the column and a key) or `null`
    (`zero_dates: null` in YAML) to read them as NULL. `exclude: true` leaves the column out of the
    extract (e.g. a column whose name is no safe identifier, or that must never reach the lake)."""

    rename: str | None = None
    type: str | None = None
    trim: bool | None = None  # strip leading/trailing whitespace in SRC; None -> the table's `trim`
    description: str | None = None  # shared by the data dictionary, the dbt sources and the Dagster assets
    zero_dates: Literal["error", "null"] = "error"
    exclude: bool = False

    _check_rename = field_validator("rename")(lambda v: v if v is None else _identifier(v))

    @field_validator("zero_dates", mode="before")
    @classmethod
    def _yaml_null(cls, value: object) -> object:
        return "null" if value is None else value

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        if value is not None and not _TYPE_RE.match(value.replace(" ", "")):
            raise ValueError(f"unknown column type {value!r}; use one of {COLUMN_TYPES_HELP}")
        return None if value is None else value.replace(" ", "")


class PartitioningConfig(StrictModel):
    grain: Literal["daily", "hourly"] = "daily"
    start: date | datetime


_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """'26h', '90m', '2d', '45s' as a timedelta."""
    match = _DURATION_RE.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration; write a number and a unit s, m, h or d (e.g. 26h)")
    return timedelta(**{_DURATION_UNITS[match.group(2)]: float(match.group(1))})


class FreshnessConfig(StrictModel):
    """The newest committed partition may lag now by at most max_lag (measured from its window's end)."""

    max_lag: str

    @field_validator("max_lag")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def max_lag_delta(self) -> timedelta:
        return parse_duration(self.max_lag)


class TableConfig(Documented):
    name: str
    load_type: LoadType
    primary_key: list[str] = Field(default_factory=list)
    watermark: str | None = None
    soft_delete: str | None = None
    created: str | None = None
    detect_hard_deletes: bool = False
    partitioning: PartitioningConfig
    columns: dict[str, ColumnConfig] = Field(default_factory=dict)
    pii: list[str] = Field(default_factory=list)
    # Late-data sensor: how many of the last materialized partitions to compare with the source (0: off).
    late_data_lookback: int = Field(default=7, ge=0)
    # Strip leading/trailing whitespace from strings in SRC (per source via defaults:, per column via
    # columns.<c>.trim). On by default: keys and codes padded by a source application otherwise fail joins
    # and uniqueness; set it false for free text whose whitespace is content.
    trim: bool = True
    # evolve: source column changes flow through (and are recorded); freeze: any change fails the extract
    schema_contract: Literal["evolve", "freeze"] = "evolve"
    freshness: FreshnessConfig | None = None

    _check_name = field_validator("name", "watermark", "soft_delete", "created")(
        lambda v: v if v is None else _identifier(v)
    )
    _check_lists = field_validator("primary_key", "pii")(lambda v: [_identifier(c) for c in v])

    @field_validator("columns")
    @classmethod
    def _column_names(cls, value: dict[str, ColumnConfig]) -> dict[str, ColumnConfig]:
        """A source column whose name is no safe identifier may be named here only to rename or exclude it."""
        for name, cfg in value.items():
            if is_safe_identifier(name):
                continue
            if not name or any(ord(ch) < 32 for ch in name):
                raise ValueError(f"column name {name!r} is empty or holds control characters")
            if not (cfg.rename or cfg.exclude):
                raise ValueError(
                    f"source column {name!r} is not a safe identifier: give it `rename: <plain_name>` "
                    "or `exclude: true`"
                )
        return value

    @model_validator(mode="after")
    def _load_type_requirements(self) -> TableConfig:
        if self.load_type in MERGE_LOAD_TYPES and not self.primary_key:
            raise ValueError(
                f"load_type {self.load_type!r} merges on a key, so primary_key is required "
                "(e.g. primary_key: [id]); or use load_type: full"
            )
        if self.load_type in MERGE_LOAD_TYPES and not self.watermark:
            raise ValueError(
                f"load_type {self.load_type!r} extracts a watermark window, so watermark is required "
                "(e.g. watermark: updated_at); or use load_type: full"
            )
        if self.detect_hard_deletes and self.load_type != "cdc":
            raise ValueError("detect_hard_deletes only applies to load_type: cdc")
        excluded = self.excluded_columns()
        for where, column in self.referenced_columns().items():
            if column in excluded and not where.startswith("columns."):
                raise ValueError(f"column {column!r} is excluded (columns.{column}.exclude) but used as {where}")
        return self

    def trims(self, column: str) -> bool:
        cfg = self.columns.get(column)
        return self.trim if cfg is None or cfg.trim is None else cfg.trim

    def excluded_columns(self) -> set[str]:
        return {name for name, cfg in self.columns.items() if cfg.exclude}

    def zero_dates_as_null(self) -> set[str]:
        return {name for name, cfg in self.columns.items() if cfg.zero_dates == "null"}

    def output_name(self, column: str) -> str:
        """The SRC name of a source column: rename, then snake_case, as standardization names it."""
        cfg = self.columns.get(column)
        return src_name(column, cfg.rename if cfg else None)

    @property
    def src_primary_key(self) -> list[str]:
        """The key columns as SRC names them (what the gate, the default suite and the merge use)."""
        return [self.output_name(c) for c in self.primary_key]

    def referenced_columns(self) -> dict[str, str]:
        """Every source column the config names, keyed by its key path inside the table entry."""
        refs: dict[str, str] = {}
        for i, col in enumerate(self.primary_key):
            refs[f"primary_key[{i}]"] = col
        if self.watermark:
            refs["watermark"] = self.watermark
        if self.soft_delete:
            refs["soft_delete"] = self.soft_delete
        if self.created:
            refs["created"] = self.created
        for col in self.columns:
            refs[f"columns.{col}"] = col
        for i, col in enumerate(self.pii):
            refs[f"pii[{i}]"] = col
        return refs


class SourceRegistry(Documented):
    """`description`, `owners` and `tags` at the top describe the source; owners and tags also apply to
    each of its tables (a table's own owners replace them, its tags are added)."""

    defaults: dict[str, object] = Field(default_factory=dict)
    tables: list[TableConfig]

    @model_validator(mode="after")
    def _unique_names(self) -> SourceRegistry:
        seen: set[str] = set()
        for table in self.tables:
            if table.name in seen:
                raise ValueError(f"table {table.name!r} is listed twice; keep one entry")
            seen.add(table.name)
        return self


# ---------------------------------------------------------------- platform environments


class SqliteSourceConfig(StrictModel):
    kind: Literal["sqlite"]
    path: str
    timezone: str = "UTC"


class MySQLSourceConfig(StrictModel):
    kind: Literal["mysql"]
    host: str
    port: int = 3306
    user: str
    password: SecretStr = SecretStr("")
    database: str
    timezone: str = "UTC"

    _check_db = field_validator("database")(_identifier)

    def url(self) -> str:
        password = quote(self.password.get_secret_value(), safe="")
        return f"mysql://{quote(self.user, safe='')}:{password}@{self.host}:{self.port}/{self.database}"


SourceConnection = Annotated[SqliteSourceConfig | MySQLSourceConfig, Field(discriminator="kind")]


class LocalLakeConfig(StrictModel):
    kind: Literal["local"]
    path: str


class S3LakeConfig(StrictModel):
    """Credentials come from the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) or ${VAR}s."""

    kind: Literal["s3"]
    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None


LakeConnection = Annotated[LocalLakeConfig | S3LakeConfig, Field(discriminator="kind")]


class DuckDBWarehouseConfig(StrictModel):
    """`lock_timeout_s`: how long a load waits for another process holding the DuckDB file (one writer
    at a time) before it fails with a clear message."""

    kind: Literal["duckdb"]
    path: str
    lock_timeout_s: float = Field(default=300.0, ge=0)


class PostgresWarehouseConfig(StrictModel):
    kind: Literal["postgres"]
    host: str
    port: int = 5432
    user: str
    password: SecretStr = SecretStr("")
    database: str

    def conninfo(self) -> str:
        password = quote(self.password.get_secret_value(), safe="")
        return f"postgresql://{quote(self.user, safe='')}:{password}@{self.host}:{self.port}/{self.database}"


class SnowflakeWarehouseConfig(StrictModel):
    kind: Literal["snowflake"]
    account: str
    user: str
    password: SecretStr
    database: str
    warehouse: str | None = None
    role: str | None = None

    def connect_kwargs(self) -> dict[str, str]:
        kwargs = {
            "account": self.account,
            "user": self.user,
            "password": self.password.get_secret_value(),
            "database": self.database,
        }
        if self.warehouse:
            kwargs["warehouse"] = self.warehouse
        if self.role:
            kwargs["role"] = self.role
        return kwargs


WarehouseConnection = Annotated[
    DuckDBWarehouseConfig | PostgresWarehouseConfig | SnowflakeWarehouseConfig, Field(discriminator="kind")
]


class QualityConfig(StrictModel):
    """Where Great Expectations' data docs (one HTML page per validation) are written."""

    data_docs: str = ".strataflow/data_docs"


class JsonLinesSinkConfig(StrictModel):
    """One JSON object per line, appended: the default sink, needs no server."""

    kind: Literal["jsonl"]
    name: str = "jsonl"
    path: str


class WebhookSinkConfig(StrictModel):
    """Slack-compatible JSON POST. The URL holds a token, so it must come from the environment; an empty URL
    (e.g. ${STRATAFLOW_ALERT_WEBHOOK_URL:-}) switches the sink off."""

    kind: Literal["webhook"]
    name: str = "webhook"
    url: SecretStr = SecretStr("")
    timeout_s: float = 10.0


class SmtpSinkConfig(StrictModel):
    """E-mail over SMTP; an empty host switches the sink off."""

    kind: Literal["smtp"]
    name: str = "smtp"
    host: str = ""
    port: int = 25
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str = ""
    password: SecretStr = SecretStr("")
    sender: str = "strataflow@localhost"
    recipients: list[str] = Field(default_factory=list)
    timeout_s: float = 10.0

    @field_validator("recipients", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        """A comma-separated string (what an environment variable holds) or a list."""
        if isinstance(value, str):
            return [r.strip() for r in value.split(",") if r.strip()]
        return value


AlertSinkConfig = Annotated[JsonLinesSinkConfig | WebhookSinkConfig | SmtpSinkConfig, Field(discriminator="kind")]


class AlertsConfig(StrictModel):
    """Where alerts go. Each sink has a durable outbox under outbox_dir: a sink that is down is retried with
    exponential backoff (retry_initial_s doubling up to retry_max_s) on later sensor ticks."""

    ui_base_url: str = "http://localhost:3000"
    outbox_dir: str = ".strataflow/alerts/outbox"
    sinks: list[AlertSinkConfig] = Field(
        default_factory=lambda: [JsonLinesSinkConfig(kind="jsonl", path=".strataflow/alerts/alerts.jsonl")]
    )
    retry_initial_s: float = 30.0
    retry_max_s: float = 3600.0
    max_attempts: int = 100
    initial_lookback_hours: float = 24.0

    @model_validator(mode="after")
    def _unique_sink_names(self) -> AlertsConfig:
        names = [s.name for s in self.sinks]
        if len(names) != len(set(names)):
            raise ValueError(f"alert sink names must be unique (got {names}); give each sink a name:")
        return self


class EnvironmentConfig(StrictModel):
    sources: dict[str, SourceConnection]
    lake: LakeConnection
    warehouse: WarehouseConnection
    pii_salt: SecretStr | None = None
    quality: QualityConfig = QualityConfig()
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)


class PlatformConfig(StrictModel):
    default_environment: str = "local"
    environments: dict[str, dict[str, object]]
