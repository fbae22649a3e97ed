"""Staged records built without pandas: the same Arrow columns as `pa.array`, and an NMEA
ingest that never imports pandas (it costs ~0.25 CPU-s per process, issue 16)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cargotrace
from cargotrace.ingest import arrow_lists
from cargotrace.ingest.nmea import _NmeaReader
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.records import (
    STAGED_POSITION_SCHEMA,
    STAGED_QUARANTINE_SCHEMA,
    STAGED_REPORT_SCHEMA,
)

T0 = datetime(2023, 9, 7, 12, tzinfo=UTC)
_TYPES = [pa.int8(), pa.int16(), pa.int64(), pa.float64(), pa.string(),
          pa.timestamp("us", tz="UTC")]


def _values(type_: pa.DataType) -> st.SearchStrategy[Any]:
    if type_ == pa.string():
        return st.text(max_size=30)
    if type_ == pa.float64():
        return st.floats(allow_nan=False)
    if pa.types.is_timestamp(type_):
        aware = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))]))
        return st.one_of(aware, st.datetimes())
    bits = type_.bit_width
    return st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), type_=st.sampled_from(_TYPES))
def test_columns_equal_pa_array_for_random_values(data: st.DataObject,
                                                  type_: pa.DataType) -> None:
    values = data.draw(st.lists(st.one_of(st.none(), _values(type_)), max_size=20))
    got = arrow_lists.column(values, type_)
    assert got.equals(pa.array(values, type_))
    assert got.null_count == sum(v is None for v in values)


@pytest.mark.parametrize(("values", "type_"), [
    ([np.int64(5), None], pa.int64()),  # numpy scalars
    ([1.5, None], pa.int64()),  # a float in an integer column
    ([300], pa.int8()),  # out of range
    ([1 << 70], pa.int64()),
    ([2, 1.5], pa.float64()),  # an int in a float column
    ([True, None], pa.int16()),
    (["a", 3], pa.string()),
])
def test_values_of_another_type_or_out_of_range_behave_as_pa_array(
    values: list[Any], type_: pa.DataType
) -> None:
    try:
        expected: pa.Array | type[Exception] = pa.array(values, type_)
    except (pa.ArrowException, OverflowError, TypeError) as exc:
        expected = type(exc)
    if isinstance(expected, pa.Array):
        assert arrow_lists.column(values, type_).equals(expected)
    else:
        with pytest.raises(expected):
            arrow_lists.column(values, type_)


def test_records_read_line_by_line_build_the_same_tables(shared_data: Path) -> None:
    """Every record a real file gives through the line-by-line reader (pyais) becomes the table
    `pa.table` makes of the same lists."""
    path = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    reader = _NmeaReader(path, IngestOptions(assume_time=T0))
    for line_no, line in enumerate(path.read_bytes().splitlines(), 1):
        reader.read_line(line_no, line)
    reader.flush_stale(line_no, everything=True)
    out = reader.out
    for lists, schema in ((out.positions, STAGED_POSITION_SCHEMA),
                          (out.reports, STAGED_REPORT_SCHEMA),
                          (out.quarantine, STAGED_QUARANTINE_SCHEMA)):
        assert arrow_lists.table(lists, schema).equals(pa.table(lists, schema=schema))
    assert len(out.positions["mmsi"]) > 500 and len(out.reports["mmsi"]) > 20


def test_an_nmea_ingest_does_not_import_pandas(shared_data: Path, tmp_path: Path) -> None:
    """A real file (some records line by line, the rest in bulk, compiled) stored whole."""
    path = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    script = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from cargotrace.ingest.nmea_columnar import compiled\n"
        "from cargotrace.ingest.params import IngestOptions\n"
        "from cargotrace.ingest.pipeline import ingest_file\n"
        "from cargotrace.store import Store\n"
        "compiled.COMPILED_FROM_BYTES = 0\n"
        "store = Store(Path('s.duckdb'))\n"
        "from datetime import datetime\n"
        "options = IngestOptions(assume_time=datetime.fromisoformat(sys.argv[2]))\n"
        "ingest_file(store, Path(sys.argv[1]), options)\n"
        "stored = store.con.execute('select count(*) from positions').fetchone()[0]\n"
        "print(json.dumps(['pandas' in sys.modules, stored]))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(cargotrace.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", script, str(path), T0.isoformat()], env=env,
                          capture_output=True, text=True, check=True, cwd=tmp_path)
    pandas_imported, stored = json.loads(done.stdout)
    assert pandas_imported is False
    assert stored > 500
