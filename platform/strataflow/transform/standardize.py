"""RAW -> SRC standardization in Polars: names, types, trimming, UTC, dedup, PII masking, metadata."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl
import pyarrow as pa

from strataflow.config.models import TableConfig
from strataflow.transform.masking import mask_expr
from strataflow.transform.naming import output_names

META_COLUMNS = ("_batch_id", "_partition", "_loaded_at", "_op")


class NullKeyError(ValueError):
    """Rows with a NULL in a primary-key column: they cannot be merged or deduplicated, so they are refused."""

    def __init__(self, table: str, columns: list[str], count: int, partition: str) -> None:
        self.table, self.columns, self.count, self.partition = table, columns, count, partition
        super().__init__(
            f"table {table}: {count} row(s) of partition {partition} have NULL in primary key "
            f"{', '.join(columns)}; a NULL key cannot be merged or deduplicated, so nothing was written. "
            "Fix the source rows, or set a primary_key that is never NULL in the table's registry entry"
        )


@dataclass(frozen=True)
class BatchContext:
    partition: str
    batch_id: str
    loaded_at: datetime  # UTC; when the RAW batch was committed
    source_timezone: str
    window_start: datetime | None  # UTC window of the partition (None for full snapshots)
    window_end: datetime | None
    pii_salt: str | None


def standardize(
    raw: pa.Table,
    table: TableConfig,
    ctx: BatchContext,
    deleted_keys: pa.Table | None = None,
    *,
    null_keys: str = "reject",
) -> pa.Table:
    """One row per primary key (latest watermark wins), typed and masked, with metadata columns.

    Rows with a NULL in a key column are never merged or deduplicated: `null_keys="reject"` raises
    NullKeyError; `"keep"` keeps each such row as it is, for a quality gate that rejects the batch."""
    df = pl.from_arrow(raw)
    assert isinstance(df, pl.DataFrame)
    df = _to_utc(df, ctx.source_timezone)
    trimmed = [n for n, t in df.schema.items() if t == pl.String and table.trims(n)]
    df = df.with_columns(pl.col(trimmed).str.strip_chars()) if trimmed else df
    df = _apply_types(df, table)
    if table.primary_key:
        if null_keys == "keep":
            has_null = pl.any_horizontal([pl.col(c).is_null() for c in table.primary_key])
            df = pl.concat([_dedup_latest(df.filter(~has_null), table), df.filter(has_null)])
        else:
            _reject_null_keys(df, table, ctx)
            df = _dedup_latest(df, table)
    df = df.with_columns(_op_expr(table, ctx, df.schema).alias("_op"))
    if deleted_keys is not None and deleted_keys.num_rows:
        df = _append_hard_deletes(df, deleted_keys, table, ctx)
    if table.pii:
        if not ctx.pii_salt:
            raise ValueError(f"table {table.name!r} has pii columns but no pii_salt is configured")
        df = df.with_columns([mask_expr(c, ctx.pii_salt) for c in table.pii])
    df = df.with_columns(
        pl.lit(ctx.batch_id).alias("_batch_id"),
        pl.lit(ctx.partition).alias("_partition"),
        pl.lit(ctx.loaded_at).dt.cast_time_unit("us").dt.convert_time_zone("UTC").alias("_loaded_at"),
    )
    renames = {name: cfg.rename for name, cfg in table.columns.items() if cfg.rename}
    mapping = output_names([c for c in df.columns if c not in META_COLUMNS], renames)
    df = df.rename(mapping).select([*mapping.values(), *META_COLUMNS])
    return _plain_arrow(df.to_arrow())


def _to_utc(df: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """Source DATETIMEs are wall-clock times of the source's timezone; SRC keeps instants in UTC."""
    naive = [n for n, t in df.schema.items() if isinstance(t, pl.Datetime) and t.time_zone is None]
    aware = [n for n, t in df.schema.items() if isinstance(t, pl.Datetime) and t.time_zone is not None]
    return df.with_columns(
        *[pl.col(c).dt.replace_time_zone(timezone, ambiguous="earliest").dt.convert_time_zone("UTC") for c in naive],
        *[pl.col(c).dt.convert_time_zone("UTC") for c in aware],
    )


_SIMPLE_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "json": pl.String(),
    "bool": pl.Boolean(),
    "int8": pl.Int8(),
    "int16": pl.Int16(),
    "int32": pl.Int32(),
    "int64": pl.Int64(),
    "float32": pl.Float32(),
    "float64": pl.Float64(),
    "date": pl.Date(),
    "binary": pl.Binary(),
    "timestamp": pl.Datetime("us", "UTC"),
}


def polars_type(name: str) -> pl.DataType:
    if name.startswith("decimal("):
        precision, scale = (int(x) for x in name[len("decimal(") : -1].split(","))
        return pl.Decimal(precision, scale)
    return _SIMPLE_TYPES[name]


def _apply_types(df: pl.DataFrame, table: TableConfig) -> pl.DataFrame:
    casts = []
    for column, cfg in table.columns.items():
        if cfg.type is None or column not in df.columns:
            continue
        target = polars_type(cfg.type)
        if isinstance(target, pl.Datetime) and df.schema[column] == pl.String:
            casts.append(pl.col(column).str.to_datetime(time_zone="UTC", time_unit="us"))
        else:
            casts.append(pl.col(column).cast(target, strict=True))
    return df.with_columns(casts) if casts else df


def _reject_null_keys(df: pl.DataFrame, table: TableConfig, ctx: BatchContext) -> None:
    """Polars' unique() treats NULL keys as equal and would merge such rows into one: refuse them first."""
    nulls = df.select(pl.any_horizontal([pl.col(c).is_null() for c in table.primary_key]).sum()).item()
    if nulls:
        raise NullKeyError(table.name, table.primary_key, int(nulls), ctx.partition)


def _dedup_latest(df: pl.DataFrame, table: TableConfig) -> pl.DataFrame:
    order = [table.watermark] if table.watermark else []
    return (
        df.sort([*order, *table.primary_key], nulls_last=False)
        .unique(subset=table.primary_key, keep="last", maintain_order=True)
        .sort(table.primary_key)
    )


def _deleted_expr(table: TableConfig, schema: pl.Schema) -> pl.Expr:
    """A timestamp-like soft-delete column marks deletion by being set; a flag (bool/int) by being true/non-zero."""
    if not table.soft_delete:
        return pl.lit(False)
    column = pl.col(table.soft_delete)
    dtype = schema[table.soft_delete]
    if dtype == pl.Boolean or dtype.is_integer():
        return column.fill_null(0).cast(pl.Boolean)
    return column.is_not_null()


def _op_expr(table: TableConfig, ctx: BatchContext, schema: pl.Schema) -> pl.Expr:
    deleted = _deleted_expr(table, schema)
    if table.created and ctx.window_start is not None:
        inserted = pl.col(table.created) >= pl.lit(ctx.window_start)
    elif table.load_type == "full":
        inserted = pl.lit(True)
    else:
        inserted = pl.lit(False)
    return pl.when(deleted).then(pl.lit("D")).when(inserted).then(pl.lit("I")).otherwise(pl.lit("U"))


def _append_hard_deletes(
    df: pl.DataFrame, deleted_keys: pa.Table, table: TableConfig, ctx: BatchContext
) -> pl.DataFrame:
    """Keys that vanished from the source become 'D' rows: the key, a watermark at the window's end."""
    keys = pl.from_arrow(deleted_keys)
    assert isinstance(keys, pl.DataFrame)
    keys = keys.join(df.select(table.primary_key), on=table.primary_key, how="anti")
    if keys.is_empty():
        return df
    assert ctx.window_end is not None
    extra = {"_op": pl.lit("D")}
    if table.watermark:
        marker = ctx.window_end - timedelta(microseconds=1)
        extra[table.watermark] = pl.lit(marker).cast(df.schema[table.watermark])
    rows = keys.with_columns(**extra)
    rows = rows.with_columns(
        [pl.lit(None, dtype=dtype).alias(name) for name, dtype in df.schema.items() if name not in rows.columns]
    ).select(df.columns)
    return pl.concat([df, rows.cast(df.schema)]).sort(table.primary_key)


def _plain_arrow(table: pa.Table) -> pa.Table:
    """Polars emits large/view string types; SRC files use the plain ones every reader understands."""
    fields = []
    for field in table.schema:
        t = field.type
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t = pa.string()
        elif pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
            t = pa.binary()
        fields.append(pa.field(field.name, t, nullable=field.nullable))
    return table.cast(pa.schema(fields))
