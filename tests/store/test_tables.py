"""One declaration per stored table (store/columns.py): the DDL DuckDB builds from it, the Arrow
types DuckDB itself returns, the Arrow schemas of readers, simulator and detectors, and the
column tables of docs/reference/store.md all agree with it."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import cargotrace
from cargotrace.detect.outliers import FLAG_SCHEMA
from cargotrace.ingest.records import STAGED_POSITION_SCHEMA, STAGED_REPORT_SCHEMA
from cargotrace.sim.output import POSITIONS_SCHEMA, REPORTS_SCHEMA
from cargotrace.sim.truth import TRUTH_SCHEMA
from cargotrace.store.columns import Column, TableSpec
from cargotrace.store.events import EVENT_SCHEMA
from cargotrace.store.schema import SPECS, TABLES

ROOT = Path(__file__).resolve().parents[2]
# DuckDB's own spelling of the declared types in information_schema
DUCKDB_NAMES = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[cargotrace.Store]:
    with cargotrace.open_store(tmp_path_factory.mktemp("tables") / "s.duckdb") as opened:
        yield opened


def test_the_store_has_exactly_the_declared_tables(store: cargotrace.Store) -> None:
    tables = {r[0] for r in store.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall()}
    assert tables == set(SPECS) == set(TABLES)


@pytest.mark.parametrize("name", list(SPECS))
def test_duckdb_builds_each_table_as_declared(store: cargotrace.Store, name: str) -> None:
    spec = SPECS[name]
    rows = store.con.execute(
        "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE table_name = ? ORDER BY column_index", [name]).fetchall()
    key = store.con.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() "
        "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'", [name]).fetchall()
    assert [r[0] for r in rows] == list(spec.names)
    assert [r[1] for r in rows] == [DUCKDB_NAMES.get(c.sql, c.sql) for c in spec.columns]
    # a key column is NOT NULL whether or not the declaration says so
    assert [r[2] for r in rows] == [c.nullable and c.name not in spec.primary_key
                                    for c in spec.columns]
    assert (tuple(key[0][0]) if key else ()) == spec.primary_key


@pytest.mark.parametrize("name", list(SPECS))
def test_declared_arrow_types_are_what_duckdb_returns(store: cargotrace.Store, name: str) -> None:
    returned = store.con.sql(f'SELECT * FROM "{name}"').to_arrow_table().schema
    # DuckDB labels JSON columns with an Arrow extension type over plain strings
    storage = [f.type.storage_type if isinstance(f.type, pa.ExtensionType) else f.type
               for f in returned]
    assert storage == list(SPECS[name].arrow_schema().types)


def _types(schema: pa.Schema) -> dict[str, pa.DataType]:
    return dict(zip(schema.names, schema.types, strict=True))


def test_derived_schemas_keep_the_stored_order_and_types() -> None:
    positions, reports, events = SPECS["positions"], SPECS["vessel_reports"], SPECS["events"]
    stored = _types(positions.arrow_schema()) | _types(reports.arrow_schema())
    for schema in (STAGED_POSITION_SCHEMA, STAGED_REPORT_SCHEMA, POSITIONS_SCHEMA,
                   REPORTS_SCHEMA):
        shared = [n for n in schema.names if n not in ("line_no", "raw")]
        assert all(_types(schema)[n] == stored[n] for n in shared)
    assert STAGED_POSITION_SCHEMA.names == [
        *(n for n in positions.names if n not in ("source", "ingest_id")), "line_no", "raw"]
    assert POSITIONS_SCHEMA.names == [n for n in positions.names
                                      if n not in ("source", "ingest_id")]
    assert EVENT_SCHEMA == events.arrow_schema()
    assert FLAG_SCHEMA.names == list(SPECS["position_flags"].names)
    truth = _types(TRUTH_SCHEMA)
    assert all(truth[n] == _types(events.arrow_schema())[n] for n in truth if n in events.names)


def test_a_declaration_refuses_what_duckdb_or_arrow_could_not_carry() -> None:
    with pytest.raises(ValueError, match="no Arrow type"):
        Column("x", "HUGEINT", "")
    with pytest.raises(ValueError, match="declared twice"):
        TableSpec("t", (Column("a", "BIGINT", ""), Column("a", "DOUBLE", "")))
    with pytest.raises(ValueError, match="not declared"):
        TableSpec("t", (Column("a", "BIGINT", ""),), primary_key=("b",))


def test_store_reference_columns_are_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_store_tables",
                                                  ROOT / "tools/gen_store_tables.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = (ROOT / "docs/reference/store.md").read_text()
    assert module.render(page) == page, (
        "docs/reference/store.md is stale: run `python tools/gen_store_tables.py`")
    for name, table in SPECS.items():
        for column in table.columns:
            assert column.notes.strip(), f"{name}.{column.name} has no description"

