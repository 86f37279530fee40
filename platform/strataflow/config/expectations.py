"""Expectation suites as YAML (`configs/expectations/<source>/<table>.yaml`), validated at load time.

The format is our own, short and readable, and maps one to one onto Great Expectations 1.x
expectations (strataflow.quality.ge_suite does the mapping; GE itself runs them):

    expectations:
      - not_null: [customer_id, email]
      - unique: [order_id]                        # compound: [order_id, line_no]
      - between: {column: amount, min: 0, max: 100000, mostly: 0.99}
      - in_set: {column: status, values: [new, paid, shipped]}
      - regex: {column: email, pattern: '^[^@]+@[^@]+$', severity: warn}
      - date_format: {column: birth_date, format: '%Y-%m-%d'}
      - length_between: {column: sku, min: 3, max: 32}
      - columns_match: true                       # the column set equals the expected schema
      - types_match: true                         # and their types
      - row_count_between: {min: 1, max: 5000000}
      - row_count_vs_previous: {max_drop: 0.5}    # not below the previous partition by more than 50 %

Each item has exactly one kind key and an optional `severity: error|warn` (default error), beside
the kind key or inside its mapping. Columns are named as in SRC (after renames and snake_case).
A table without a suite file gets `default_suite`: its key not null and unique, and the column set.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from strataflow.config.errors import ConfigError, ConfigProblem, format_key_path

Severity = Literal["error", "warn"]
SEVERITIES = ("error", "warn")


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Mostly(_Args):
    mostly: float | None = Field(default=None, gt=0, le=1)


class ColumnsArgs(_Mostly):
    columns: list[str] = Field(min_length=1)


class UniqueArgs(_Args):
    columns: list[str] = Field(min_length=1)


class BetweenArgs(_Mostly):
    column: str
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> BetweenArgs:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class LengthArgs(BetweenArgs):
    min: int | None = Field(default=None, ge=0)  # type: ignore[assignment]
    max: int | None = Field(default=None, ge=0)  # type: ignore[assignment]


class InSetArgs(_Mostly):
    column: str
    values: list[Any] = Field(min_length=1)


class RegexArgs(_Mostly):
    column: str
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as err:
            raise ValueError(f"pattern {value!r} is not a valid regular expression ({err})") from None
        return value


class DateFormatArgs(_Mostly):
    column: str
    format: str

    @field_validator("format")
    @classmethod
    def _has_directive(cls, value: str) -> str:
        if "%" not in value:
            raise ValueError(f"format {value!r} has no strftime directive such as %Y-%m-%d")
        return value


class RowCountArgs(_Args):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _bounds(self) -> RowCountArgs:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class PreviousArgs(_Args):
    max_drop: float = Field(ge=0, lt=1)


class FlagArgs(_Args):
    pass


KINDS: dict[str, type[_Args]] = {
    "not_null": ColumnsArgs,
    "unique": UniqueArgs,
    "between": BetweenArgs,
    "in_set": InSetArgs,
    "regex": RegexArgs,
    "date_format": DateFormatArgs,
    "length_between": LengthArgs,
    "columns_match": FlagArgs,
    "types_match": FlagArgs,
    "row_count_between": RowCountArgs,
    "row_count_vs_previous": PreviousArgs,
}
_LIST_KINDS = {"not_null", "unique"}  # `not_null: [a, b]` is short for `not_null: {columns: [a, b]}`
_FLAG_KINDS = {"columns_match", "types_match"}


@dataclass(frozen=True)
class Expectation:
    """One configured expectation: its kind, validated arguments, severity and where it was written."""

    kind: str
    args: _Args
    severity: Severity
    index: int

    @property
    def name(self) -> str:
        """A stable readable name, e.g. 'not_null(customer_id, email)' or 'between(amount)'."""
        columns = self.columns()
        return f"{self.kind}({', '.join(columns)})" if columns else self.kind

    def columns(self) -> list[str]:
        args = self.args
        if isinstance(args, ColumnsArgs | UniqueArgs):
            return list(args.columns)
        column = getattr(args, "column", None)
        return [column] if column else []

    def key_path(self) -> str:
        return format_key_path(["expectations", self.index, self.kind])


@dataclass(frozen=True)
class Suite:
    file: Path | None  # None: the default suite derived from the registry
    expectations: tuple[Expectation, ...]

    @property
    def origin(self) -> str:
        return str(self.file) if self.file else "default suite (no file)"


def suite_path(configs_dir: Path, source: str, table: str) -> Path:
    return configs_dir / "expectations" / source / f"{table}.yaml"


def load_suite(path: Path | str) -> Suite:
    """Parse and validate one suite file; every problem is reported with file, key path and fix."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError.single(path, "", "file not found", "create it or remove the reference") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError.single(
            path, where, f"invalid YAML ({getattr(err, 'problem', err)})", "fix the syntax"
        ) from None
    if not isinstance(raw, dict) or set(raw) != {"expectations"} or not isinstance(raw["expectations"], list):
        raise ConfigError.single(
            path,
            "",
            "a suite is a mapping with one key, expectations: a list",
            "write expectations:\n  - not_null: [id]",
        )
    problems: list[ConfigProblem] = []
    items = []
    for i, item in enumerate(raw["expectations"]):
        try:
            items.append(_parse_item(item, i, path))
        except ConfigError as err:
            problems.extend(err.problems)
    if problems:
        raise ConfigError(problems)
    return Suite(path, tuple(items))


def _parse_item(item: Any, index: int, file: Path) -> Expectation:
    at = ("expectations", index)
    if not isinstance(item, dict):
        raise ConfigError.single(
            file, format_key_path(at), "each expectation is a mapping with one kind key", "write e.g. - unique: [id]"
        )
    severity = item.get("severity", None)
    kinds = [k for k in item if k != "severity"]
    if len(kinds) != 1:
        problem = "no expectation kind" if not kinds else f"several kinds in one item: {', '.join(map(str, kinds))}"
        raise ConfigError.single(
            file, format_key_path(at), problem, f"give exactly one of: {', '.join(KINDS)} (one per list item)"
        )
    kind = str(kinds[0])
    if kind not in KINDS:
        guess = difflib.get_close_matches(kind, KINDS, n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        raise ConfigError.single(
            file, format_key_path([*at, kind]), f"unknown expectation {kind!r}", f"{hint}known: {', '.join(KINDS)}"
        )
    value = item[kind]
    if isinstance(value, dict) and "severity" in value:
        if severity is not None:
            raise ConfigError.single(file, format_key_path([*at, kind, "severity"]), "severity given twice", "keep one")
        value = dict(value)
        severity = value.pop("severity")
    severity = "error" if severity is None else severity
    if severity not in SEVERITIES:
        raise ConfigError.single(
            file, format_key_path([*at, "severity"]), f"unknown severity {severity!r}", "use error or warn"
        )
    if kind in _LIST_KINDS and not isinstance(value, dict):
        value = {"columns": value if isinstance(value, list) else [value]}
    if kind in _FLAG_KINDS:
        if value is not True:
            raise ConfigError.single(
                file, format_key_path([*at, kind]), f"{kind} takes true", f"write - {kind}: true (or remove it)"
            )
        value = {}
    if not isinstance(value, dict):
        model = KINDS[kind]
        raise ConfigError.single(
            file,
            format_key_path([*at, kind]),
            f"{kind} takes a mapping",
            f"write {kind}: {{{', '.join(model.model_fields)}}}",
        )
    try:
        args = KINDS[kind].model_validate(value)
    except ValidationError as err:
        raise ConfigError([_arg_problem(e, file, (*at, kind), KINDS[kind]) for e in err.errors()]) from None
    return Expectation(kind, args, severity, index)


def _arg_problem(error: Any, file: Path, at: tuple[str | int, ...], model: type[_Args]) -> ConfigProblem:
    loc = [p for p in error["loc"] if isinstance(p, str | int)]
    key_path = format_key_path([*at, *loc])
    allowed = ", ".join(model.model_fields)
    if error["type"] == "extra_forbidden":
        guess = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        return ConfigProblem(file, key_path, f"unknown argument {loc[-1]!r}", f"{hint}allowed here: {allowed}")
    if error["type"] == "missing":
        return ConfigProblem(file, key_path, "required argument is missing", f"add {loc[-1]}: ...")
    message = str(error["msg"]).removeprefix("Value error, ")
    return ConfigProblem(file, key_path, message, f"correct the value (arguments: {allowed})")


def default_suite(primary_key: list[str]) -> Suite:
    """What every table gets without a suite file: its key not null and unique in the partition, and
    the column set of the expected schema."""
    items: list[Expectation] = []
    if primary_key:
        items.append(Expectation("not_null", ColumnsArgs(columns=primary_key), "error", 0))
        items.append(Expectation("unique", UniqueArgs(columns=primary_key), "error", 1))
    items.append(Expectation("columns_match", FlagArgs(), "error", len(items)))
    return Suite(None, tuple(items))


def column_problems(suite: Suite, columns: list[str], table: str) -> list[ConfigProblem]:
    """A column a suite names that the table (its SRC columns) does not have."""
    available = set(columns)
    problems = []
    for item in suite.expectations:
        for n, column in enumerate(item.columns()):
            if column in available:
                continue
            guess = difflib.get_close_matches(column, columns, n=1)
            hint = f"did you mean {guess[0]!r}? " if guess else ""
            sub = "column" if hasattr(item.args, "column") else f"columns[{n}]"
            if item.kind in _LIST_KINDS:
                sub = f"[{n}]"
            path = format_key_path(["expectations", item.index, item.kind]) + (
                sub if sub.startswith("[") else f".{sub}"
            )
            problems.append(
                ConfigProblem(
                    suite.file or "(default suite)",
                    path,
                    f"column {column!r} does not exist in {table}",
                    f"{hint}use one of the SRC columns: {', '.join(columns)}",
                )
            )
    return problems


TEXT_TYPES = frozenset({"string"})  # the registry's text type; Arrow string types are named so by callers


def type_problems(suite: Suite, types: Mapping[str, str], table: str) -> list[ConfigProblem]:
    """`date_format` on a column known not to be text (a registry `type:`, the lake's schema baseline or the
    live source): Great Expectations fails it with no count and no reason, so such a suite is refused when
    it loads. `types` maps SRC column names to their type ("string" for text); unknown columns pass here."""
    problems = []
    for item in suite.expectations:
        if item.kind != "date_format":
            continue
        column = item.columns()[0]
        kind = types.get(column)
        if kind is None or kind in TEXT_TYPES:
            continue
        problems.append(
            ConfigProblem(
                suite.file or "(default suite)",
                format_key_path(["expectations", item.index, item.kind]) + ".column",
                f"date_format checks the text of a string column, but {column!r} is {kind} in {table}",
                "remove the expectation (a typed date or timestamp has no format to check; use between or "
                "not_null on it), or point it at a text column",
            )
        )
    return problems
