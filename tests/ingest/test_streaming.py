"""Streaming ingest (pipeline.py, staging.py, dedupe.py, read_ahead.py): memory set by the
chunk, not the file; still one transaction per file; the same rows whatever the chunk size."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

import cargotrace
from cargotrace.ingest import pipeline
from cargotrace.ingest.params import IngestOptions, StreamParams
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.ingest.read_ahead import read_ahead
from cargotrace.sim.sample import scaled_fleet, write_sample_nmea

SOLENT = "ais_positions/stonesoup_SolentAIS_20160112_130211.csv"
NM4 = "ais_nmea/aisdb/test_data_20211101.nm4"
REAL_FILES = [
    NM4,
    "ais_nmea/aisdb/test_data_201201.nmea",
    "ais_nmea/gpsd/ais-nmea.log",
    "ais_nmea/gpsd/sample.aivdm",
    "ais_nmea/pyais/nmea_data_sample.txt",
    "ais_nmea/pyais/gatehouse.nmea",
    "ais_nmea/pyais/mixed.txt",
    "ais_positions/aisdb_test_data_20210701.csv",
    "ais_positions/aisdb_test_data_noaa_20230101.csv",
    "ais_positions/marinecadastre_AIS_2022_01_03_first99999.csv",
    SOLENT,
]
TABLES = ("positions", "vessel_reports", "quarantine", "ingests")
_ROWS = {  # every stored column but the ingest's id (and, for quarantine, with line numbers)
    "positions": "SELECT * EXCLUDE (ingest_id, source) FROM positions",
    "vessel_reports": "SELECT * EXCLUDE (ingest_id, source) FROM vessel_reports",
    "quarantine": "SELECT line_no, raw, reason, detail FROM quarantine",
}


def _options(chunk_records: int) -> IngestOptions:
    # files without receive times are read with one, so that their records are stored
    return IngestOptions(chunk_records=chunk_records, assume_time=datetime(2021, 11, 1, tzinfo=UTC))


def _rows(store: cargotrace.Store, table: str) -> list[tuple[Any, ...]]:
    return store.con.execute(f"{_ROWS[table]} ORDER BY ALL").fetchall()


def _counts(path: Path) -> dict[str, int]:
    with cargotrace.open_store(path) as store:
        return {t: store.count(t) for t in TABLES}


@pytest.mark.parametrize("name", REAL_FILES)
def test_stored_rows_do_not_depend_on_the_chunk_size(
    shared_data: Path, tmp_path: Path, name: str
) -> None:
    """One chunk (what the pipeline did before it streamed: the whole file staged, then
    deduplicated at once) and 4 or 5 chunks store the same rows, column for column."""
    source = shared_data / name
    lines = source.read_bytes().count(b"\n")
    stored = {}
    for label, chunk_records in (("one chunk", lines + 10), ("chunks", max(lines // 4, 50))):
        with cargotrace.open_store(tmp_path / f"{label}.duckdb") as store:
            summary = ingest_file(store, source, _options(chunk_records))
            stored[label] = {t: _rows(store, t) for t in _ROWS}
            # independent: no position key twice, and the summary adds up to what is stored
            keys, distinct = store.con.execute(
                "SELECT count(*), count(DISTINCT (mmsi, ts, lat, lon)) FROM positions"
            ).fetchall()[0]
            assert keys == distinct == summary.positions_stored
            assert summary.positions_read == summary.positions_stored + summary.duplicate_positions
            assert store.count("quarantine") == summary.quarantined_total
    assert stored["chunks"] == stored["one chunk"]
    assert sum(len(rows) for rows in stored["chunks"].values()) > 0


def test_a_fix_heard_by_two_receivers_in_two_chunks_keeps_the_first_receiver_by_name(
    shared_data: Path, tmp_path: Path, tmp_store: cargotrace.Store
) -> None:
    """Real Solent rows, each written twice, 10,000 rows apart, under receivers whose names
    sort the other way round from the file's order: the copy kept is the one from the receiver
    first by name, though it comes in a later chunk."""
    table = pcsv.read_csv(shared_data / SOLENT)
    first = table.append_column("station", pa.array(["rZULU"] * table.num_rows))
    second = table.append_column("station", pa.array(["rALPHA"] * table.num_rows))
    both = pa.concat_tables([first.slice(0, 10_000), second.slice(0, 10_000),
                             first.slice(10_000), second.slice(10_000)])
    parquet = tmp_path / "twice.parquet"
    pq.write_table(both, parquet)
    summary = ingest_file(tmp_store, parquet, IngestOptions(chunk_records=3_000))
    stored = dict(tmp_store.con.execute(
        "SELECT station, count(*) FROM positions GROUP BY station").fetchall())
    # independent: pandas over the written rows, the same key kept once under the smallest name
    frame = both.to_pandas()
    kept = frame.groupby(["MMSI", "Time", "Latitude_degrees", "Longitude_degrees"]).station.min()
    assert stored == kept.value_counts().to_dict() == {"rALPHA": len(kept)}
    assert summary.positions_stored == len(kept)
    assert summary.duplicate_positions == len(frame) - len(kept)


def test_copies_within_one_chunk_and_from_an_earlier_ingest(
    shared_data: Path, tmp_path: Path, tmp_store: cargotrace.Store
) -> None:
    """Both copies of each real Solent row in one chunk (the within-chunk dedupe, which skips
    its window function when a chunk has no copies): the smallest receiver name is kept. A
    second file with the other receiver's copies then stores nothing (the anti-join against an
    earlier ingest), and a third with new times stores everything (no stored row near)."""
    table = pcsv.read_csv(shared_data / SOLENT)
    zulu = table.append_column("station", pa.array(["rZULU"] * table.num_rows))
    alpha = table.append_column("station", pa.array(["rALPHA"] * table.num_rows))
    both, again, later = tmp_path / "both.parquet", tmp_path / "again.parquet", tmp_path / "l.pq"
    pq.write_table(pa.concat_tables([zulu, alpha]), both)
    pq.write_table(zulu, again)
    two_days_on = [t + timedelta(days=2) for t in table.column("Time").to_pylist()]
    shifted = zulu.set_column(zulu.schema.get_field_index("Time"), "Time", pa.array(two_days_on))
    pq.write_table(shifted, later)
    options = IngestOptions(chunk_records=10 * table.num_rows)
    first = ingest_file(tmp_store, both, options)
    # independent: distinct keys of the written rows, in pandas
    frame = table.to_pandas()
    keys = len(frame.drop_duplicates(["MMSI", "Time", "Latitude_degrees", "Longitude_degrees"]))
    stored = dict(tmp_store.con.execute(
        "SELECT station, count(*) FROM positions GROUP BY station").fetchall())
    assert stored == {"rALPHA": keys} and first.positions_stored == keys
    assert first.duplicate_positions == 2 * table.num_rows - keys
    second = ingest_file(tmp_store, again, options)
    assert (second.positions_read, second.positions_stored) == (table.num_rows, 0)
    third = ingest_file(tmp_store, later, options)
    assert third.positions_stored == keys
    assert tmp_store.count("positions") == 2 * keys


def test_copies_from_the_same_receiver_keep_the_first_in_the_file(
    shared_data: Path, tmp_path: Path
) -> None:
    """Real Solent fixes as NMEA, each sent twice by the same receiver at the same time, the
    second copy with 1 kn more speed (the copies differ outside the key): the first in the file
    is kept, whether both copies are in one chunk or in two (the rule of the SQL table path
    too, table_store.py). Independent: the file of first copies alone, which has no copy."""
    from pyais.encode import encode_dict

    from cargotrace.sim.nmea_writer import tag_block

    frame = pcsv.read_csv(shared_data / SOLENT).to_pandas()
    frame["Time"] = frame.Time.dt.floor("s")  # a tag block's time is in whole seconds
    frame = frame.drop_duplicates(["MMSI", "Time"]).head(4_000)

    def lines(extra_kn: float) -> list[str]:
        return [tag_block(row.Time.to_pydatetime(), "rSAME") + encode_dict(
                    {"type": 1, "mmsi": int(row.MMSI), "lat": row.Latitude_degrees,
                     "lon": row.Longitude_degrees, "speed": min(row.SOG_knots + extra_kn, 100)},
                    talker_id="AI", radio_channel="A")[0]
                for row in frame.itertuples()]

    first, second = lines(0.0), lines(1.0)
    only_first, both = tmp_path / "first.nmea", tmp_path / "both.nmea"
    only_first.write_text("\n".join(first) + "\n")
    both.write_text("\n".join(first[:2_000] + second[:2_000] + first[2_000:] + second[2_000:])
                    + "\n")
    stored = {}
    for label, path, chunk_records in (("first copies", only_first, 10_000),
                                       ("both, one chunk", both, 10_000),
                                       ("both, chunks", both, 1_500)):
        with cargotrace.open_store(tmp_path / f"{label}.duckdb") as store:
            ingest_file(store, path, IngestOptions(chunk_records=chunk_records))
            stored[label] = _rows(store, "positions")
    assert len(stored["first copies"]) == len(frame)
    assert stored["both, one chunk"] == stored["both, chunks"] == stored["first copies"]


def test_a_stricter_memory_limit_of_the_user_is_not_raised(
    shared_data: Path, tmp_store: cargotrace.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`CARGOTRACE_MEMORY_LIMIT` (here 50 MB) below `store_memory_mb` (77) stays in force
    during the ingest, and DuckDB runs on one thread while the decoder has the other core."""
    tmp_store.con.execute("SET memory_limit = '50MB'")
    before = tmp_store.con.execute(
        "SELECT current_setting('memory_limit'), current_setting('threads')").fetchall()[0]
    seen = []
    real = pipeline.store_new_rows

    def spy(*args: Any) -> Any:
        seen.append(tmp_store.con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')").fetchall()[0])
        return real(*args)

    monkeypatch.setattr(pipeline, "store_new_rows", spy)
    ingest_file(tmp_store, shared_data / NM4,
                IngestOptions(stream=StreamParams(store_memory_mb=77)))
    assert seen and set(seen) == {(before[0], 1)}
    assert tmp_store.con.execute(
        "SELECT current_setting('memory_limit'), current_setting('threads')"
    ).fetchall()[0] == before


def test_an_already_ingested_file_stops_the_decoding_begun_while_it_was_hashed(
    shared_data: Path, tmp_store: cargotrace.Store
) -> None:
    """An NMEA file's decoding starts while the file is hashed; when the hash says the file
    was ingested before, the decoding thread is stopped and nothing more is stored."""
    options = _options(500)  # many chunks: the thread would still be decoding
    first = ingest_file(tmp_store, shared_data / NM4, options)
    threads = threading.active_count()
    again = ingest_file(tmp_store, shared_data / NM4, options)
    assert again.already_ingested and again.ingest_id == first.ingest_id
    assert threading.active_count() == threads
    assert not any(t.name == "cargotrace-read-ahead" for t in threading.enumerate())
    # independent: the store holds the first ingest's rows only
    [(rows, ingests)] = tmp_store.con.execute(
        "SELECT (SELECT count(*) FROM positions), (SELECT count(*) FROM ingests)").fetchall()
    assert (rows, ingests) == (first.positions_stored, 1) and rows > 0


class _Boom(RuntimeError):
    pass


def _failing_reader(after: int) -> Any:
    real = pipeline.open_reader

    def reader(*args: Any) -> Iterator[Any]:
        for n, chunk in enumerate(real(*args)):
            if n == after:
                raise _Boom("the reader failed half-way")
            yield chunk
    return reader


def _failing_store(after: int) -> Any:
    real = pipeline.store_new_rows
    calls = {"n": 0}

    def store_new_rows(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > after:
            raise _Boom("the store failed half-way")
        return real(*args)
    return store_new_rows


@pytest.mark.parametrize("where", ["reader", "store"])
def test_a_failure_midway_leaves_the_store_as_it_was_and_a_rerun_completes(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Chunks already stored are undone with the transaction, whether the decoding thread or
    the store fails; the thread is gone; a re-run stores what a clean run stores."""
    options = IngestOptions(chunk_records=100)
    earlier, source = shared_data / "ais_nmea/gpsd/ais-nmea.log", shared_data / NM4
    reference = tmp_path / "reference.duckdb"
    with cargotrace.open_store(reference) as store:
        ingest_file(store, earlier, options)
        ingest_file(store, source, options)
    path = tmp_path / "s.duckdb"
    with cargotrace.open_store(path) as store:
        ingest_file(store, earlier, options)
    before = _counts(path)
    with monkeypatch.context() as patch:
        if where == "reader":
            patch.setattr(pipeline, "open_reader", _failing_reader(after=4))
        else:
            patch.setattr(pipeline, "store_new_rows", _failing_store(after=8))
        with cargotrace.open_store(path) as store, pytest.raises(_Boom):
            ingest_file(store, source, options)
    assert not [t for t in threading.enumerate() if t.name == "cargotrace-read-ahead"]
    assert _counts(path) == before
    with cargotrace.open_store(path) as store:
        rerun = ingest_file(store, source, options)
        again = ingest_file(store, source, options)
    assert rerun.positions_stored > 100 and again.already_ingested
    assert _counts(path) == _counts(reference)


def test_read_ahead_keeps_order_and_raises_the_readers_error() -> None:
    def items() -> Iterator[int]:
        yield from range(50)
        raise _Boom("at the end")

    got: list[int] = []
    with pytest.raises(_Boom, match="at the end"):
        for item in read_ahead(items(), depth=2):
            got.append(item)
    assert got == list(range(50))


def test_duckdb_memory_limit_is_capped_during_an_ingest_and_restored(
    shared_data: Path, tmp_store: cargotrace.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def limit() -> str:
        return str(tmp_store.con.execute(
            "SELECT current_setting('memory_limit')").fetchall()[0][0])

    before, seen = limit(), []
    real = pipeline.store_new_rows

    def spy(*args: Any) -> Any:
        seen.append(limit())
        return real(*args)

    monkeypatch.setattr(pipeline, "store_new_rows", spy)
    ingest_file(tmp_store, shared_data / NM4,
                IngestOptions(stream=StreamParams(store_memory_mb=77)))
    assert seen and set(seen) == {"73.4 MiB"}  # 77 MB as DuckDB prints it
    assert limit() == before


_PEAK = """
import resource, sys
from pathlib import Path
import cargotrace
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.pipeline import ingest_file
with cargotrace.open_store(Path(sys.argv[2])) as store:
    summary = ingest_file(store, sys.argv[1], IngestOptions(chunk_records=2_000))
print(summary.positions_stored, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_peak_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    """A file four times longer (in 2,000-record chunks) peaks at about the same memory: the
    chunks stored are not kept (before streaming, ~0.9 KB a line: +60 MB here)."""
    fleet = scaled_fleet(30)
    here = str(Path(cargotrace.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    peaks, stored = {}, {}
    for hours in (6, 24):
        feed = tmp_path / f"{hours}h.nmea"
        lines = write_sample_nmea(feed, hours=hours, fleet=fleet)
        done = subprocess.run([sys.executable, "-c", _PEAK, str(feed), str(tmp_path / "s.db")],
                              capture_output=True, text=True, check=True, timeout=600, env=env)
        n, peak_kb = (int(v) for v in done.stdout.split())
        stored[hours], peaks[hours] = n, peak_kb / 1024
        (tmp_path / "s.db").unlink()
        if hours == 6:
            short_lines = lines
    assert lines > 3 * short_lines and stored[24] > 3 * stored[6]
    assert peaks[24] - peaks[6] < 25, peaks


def test_an_ingest_after_detect_on_the_same_connection(shared_data: Path, tmp_path: Path) -> None:
    """Ibis turns DuckDB's replacement scans off on the connection it wraps; an NMEA ingest
    after `detect` on the same open store must still read its chunks (it once failed with
    "Table with name chunk_positions_in does not exist")."""
    from cargotrace.detect.run import detect

    files = [shared_data / "ais_nmea" / "gpsd" / "sample.aivdm",
             shared_data / "ais_nmea" / "pyais" / "sample.ais"]
    options = _options(50_000)
    stored = []
    for between in (False, True):
        with cargotrace.open_store(tmp_path / f"{between}.duckdb") as store:
            ingest_file(store, files[0], options)
            if between:
                detect(store, kinds=["gap"])
            ingest_file(store, files[1], options)
            stored.append([_rows(store, t) for t in ("positions", "vessel_reports", "quarantine")])
    assert stored[0] == stored[1]
    assert len(stored[0][0]) > 0


def test_progress_adds_up_to_the_file_read_chunk_by_chunk(shared_data: Path,
                                                            tmp_path: Path) -> None:
    """A progress bar advances by the bytes of each stored chunk and ends at the file's
    size."""
    source = shared_data / NM4
    lines = source.read_bytes().count(b"\n")
    advances: list[int] = []
    with cargotrace.open_store(tmp_path / "s.duckdb") as store:
        ingest_file(store, source, _options(max(lines // 4, 50)), progress=advances.append)
    assert len(advances) >= 2
    assert sum(advances) == os.path.getsize(source)  # independent: the file's size on disk
