"""An ingest does not import pandas (ingest/arrow_start.py), and pyarrow still works with
pandas once someone imports it: in a fresh process, as `cargotrace ingest` runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cargotrace
from cargotrace.ingest.pipeline import ingest_file

NM4 = "ais_nmea/aisdb/test_data_20211101.nm4"

_SCRIPT = """
import json, sys
from datetime import UTC, datetime
from pathlib import Path
import cargotrace
from cargotrace.ingest.arrow_start import pandas_unused
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.pipeline import ingest_file
with cargotrace.open_store(Path(sys.argv[2])) as store, pandas_unused():
    summary = ingest_file(store, sys.argv[1],
                          IngestOptions(assume_time=datetime(2021, 11, 1, tzinfo=UTC)))
imported = "pandas" in sys.modules
import pandas as pd
import pyarrow as pa
frame = pd.DataFrame({"x": [1.5, None],
                      "t": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
table = pa.table(frame)
print(json.dumps({
    "pandas_during_ingest": imported,
    "stored": summary.positions_stored,
    "table_types": [str(t) for t in table.schema.types],
    "series_type": str(pa.array(frame.x).type),
    "categorical": str(pa.array(pd.Categorical(["a", "b"])).type),
    "round_trip": table.to_pandas().equals(frame),
}))
"""


def test_an_ingest_runs_without_pandas_and_pyarrow_finds_it_afterwards(
    shared_data: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(cargotrace.__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(shared_data / NM4), str(tmp_path / "a.duckdb")],
        capture_output=True, text=True, env=env, check=True)
    got = json.loads(out.stdout)
    # independent: the same file ingested in this process, where pandas is imported
    from datetime import UTC, datetime

    from cargotrace.ingest.params import IngestOptions

    with cargotrace.open_store(tmp_path / "b.duckdb") as store:
        expected = ingest_file(store, shared_data / NM4,
                               IngestOptions(assume_time=datetime(2021, 11, 1, tzinfo=UTC)))
        [(count,)] = store.con.execute("SELECT count(*) FROM positions").fetchall()
    assert got["pandas_during_ingest"] is False
    assert got["stored"] == expected.positions_stored == count > 0
    # the same pyarrow calls in this process, where pyarrow found pandas at its start
    import pandas as pd
    import pyarrow as pa

    frame = pd.DataFrame({"x": [1.5, None],
                          "t": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    assert got["table_types"] == [str(t) for t in pa.table(frame).schema.types]
    assert got["series_type"] == str(pa.array(frame.x).type) == "double"
    assert got["categorical"] == str(pa.array(pd.Categorical(["a", "b"])).type)
    assert got["round_trip"] is True
