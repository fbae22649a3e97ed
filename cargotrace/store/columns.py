"""How a stored table is declared once, and everything derived from that one declaration.

Why: the columns of `positions`, `vessel_reports` and `events` used to be spelled out five
times (the DDL, the readers' staging schemas, the simulator's files, the event writer, the
docs), so a column added in one place could be missing in another. A `TableSpec` names each
column with its DuckDB type, nullability and meaning; the DDL (`ddl`), the Arrow schemas
(`arrow_schema`) and the column tables of docs/reference/store.md (`markdown_columns`) are all
computed from it (`tools/gen_store_tables.py`; tests/store/test_tables.py checks the page).

Arrow fields are always nullable: Arrow tables carry rows on their way in (a reader's staging
chunk, a simulated file, events before they are written), and NOT NULL is the store's check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

# pyarrow is imported on first use, not with the store: commands that only read the store
# (`vessels`, `places list`) start ~0.1 s faster without it (issue 16).
SQL_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "DOUBLE", "BOOLEAN", "VARCHAR",
             "VARCHAR[]", "JSON", "DATE", "TIMESTAMPTZ")
"""The DuckDB types used in the store; `arrow_types()` gives the Arrow type carrying each."""


@cache
def arrow_types() -> dict[str, pa.DataType]:
    """The Arrow type that carries each DuckDB type used in the store (one mapping for all
    tables)."""
    import pyarrow as pa

    return {
        "BIGINT": pa.int64(),
        "INTEGER": pa.int32(),
        "SMALLINT": pa.int16(),
        "TINYINT": pa.int8(),
        "DOUBLE": pa.float64(),
        "BOOLEAN": pa.bool_(),
        "VARCHAR": pa.string(),
        "VARCHAR[]": pa.list_(pa.string()),
        # JSON travels as its text: what json.dumps gives and DuckDB's JSON type reads
        "JSON": pa.string(),
        "DATE": pa.date32(),
        # DuckDB's TIMESTAMPTZ is microseconds since the epoch, an instant; the store's zone is UTC
        "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    }


def __getattr__(name: str) -> Any:
    """`ARROW_TYPES` and `TS_TYPE` (every time in cargotrace's Arrow tables: UTC microseconds,
    as the store keeps them), made on first use."""
    if name == "ARROW_TYPES":
        return arrow_types()
    if name == "TS_TYPE":
        return arrow_types()["TIMESTAMPTZ"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Column:
    """One stored column: `sql` is its DuckDB type (a key of `ARROW_TYPES`)."""

    name: str
    sql: str
    notes: str
    nullable: bool = True

    def __post_init__(self) -> None:
        if self.sql not in SQL_TYPES:
            raise ValueError(f"column {self.name}: no Arrow type for DuckDB type {self.sql}")

    @property
    def arrow(self) -> pa.DataType:
        return arrow_types()[self.sql]


@dataclass(frozen=True)
class TableSpec:
    """A stored table: its columns in stored order and its primary key (empty: none)."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = self.names
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: a column is declared twice")
        if missing := [k for k in self.primary_key if k not in names]:
            raise ValueError(f"table {self.name}: key column(s) {missing} not declared")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name} has no column {name!r}")

    def ddl(self) -> str:
        """`CREATE TABLE IF NOT EXISTS` for this table. A one-column key is written on its
        column (as the DDL always was), a longer one as a table constraint."""
        single_key = self.primary_key[0] if len(self.primary_key) == 1 else None
        lines = []
        for col in self.columns:
            line = f"{quoted(col.name)} {col.sql}"
            if col.name == single_key:
                line += " PRIMARY KEY"
            elif not col.nullable:
                line += " NOT NULL"
            lines.append(line)
        if len(self.primary_key) > 1:
            lines.append(f"PRIMARY KEY ({', '.join(quoted(k) for k in self.primary_key)})")
        body = ",\n    ".join(lines)
        return f"CREATE TABLE IF NOT EXISTS {quoted(self.name)} (\n    {body}\n)"

    def arrow_schema(
        self, names: Iterable[str] | None = None, *, without: Iterable[str] = (),
        extra: Iterable[pa.Field] = (),
    ) -> pa.Schema:
        """The Arrow schema of `names` (default: every column, in stored order) minus
        `without`, followed by `extra` fields that are not stored (e.g. a reader's line_no)."""
        import pyarrow as pa

        skip = set(without)
        chosen = self.names if names is None else tuple(names)
        fields = [pa.field(n, self.column(n).arrow) for n in chosen if n not in skip]
        return pa.schema([*fields, *extra])

    def markdown_columns(self) -> str:
        """The table's columns as the Markdown table of docs/reference/store.md."""
        rows = ["| column | type | NULL | meaning |", "| --- | --- | --- | --- |"]
        for col in self.columns:
            if col.name in self.primary_key:
                null = "key"
            else:
                null = "yes" if col.nullable else "no"
            rows.append(f"| {col.name} | {col.sql} | {null} | {_cell(col.notes)} |")
        return "\n".join(rows)


def quoted(name: str) -> str:
    """Every identifier quoted, so a column may be named like an SQL keyword (`end`)."""
    return '"' + name.replace('"', '""') + '"'


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
