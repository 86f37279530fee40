"""PII masking: a salted SHA-256, so equal values still join but cannot be read back."""

from __future__ import annotations

import hashlib

import polars as pl


def mask_expr(column: str, salt: str) -> pl.Expr:
    salt_bytes = salt.encode()

    def _hash(series: pl.Series) -> pl.Series:
        return pl.Series(
            series.name,
            [None if v is None else hashlib.sha256(salt_bytes + str(v).encode()).hexdigest() for v in series],
            dtype=pl.String,
        )

    return pl.col(column).map_batches(_hash, return_dtype=pl.String).alias(column)


def mask_value(value: object, salt: str) -> str:
    """The masked form of one value (what tests and joins compare against)."""
    return hashlib.sha256(salt.encode() + str(value).encode()).hexdigest()
