"""Issue 16: decoded tables read by DuckDB's read_csv give exactly what the block reader gives.

The block reader (Arrow's CSV splitter, then one DuckDB query per block) is the reference: it
was checked field by field against Python's csv module (test_tables.py). Here every real file
of ../shared/data/ais_positions, and real MarineCadastre rows damaged or re-laid out in the
ways exports differ, are read both ways; the chunks must be equal, and a file stored through
either reader must give the same rows, counted independently with pandas.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import cargotrace
from cargotrace.ingest import pipeline, tables
from cargotrace.ingest.params import IngestOptions, InputFormat
from cargotrace.ingest.pipeline import ingest_file

from .table_files import MC, REAL, table_variants, variant_file

BLOCKS = "reading in blocks"  # what the reader logs when read_csv's rows are not used


def _both(path: Path, fmt: InputFormat, **options: object) -> tuple[list[object], list[object]]:
    opts = IngestOptions(**options)  # type: ignore[arg-type]
    return _gathered(tables.read_table(path, fmt, opts)), _gathered(
        tables._read_csv_blocks(path, fmt, opts))


def _gathered(chunks: object) -> list[object]:
    got = list(chunks)  # type: ignore[call-overload]
    skipped: Counter[str] = Counter()
    for chunk in got:
        skipped.update(chunk.skipped)
    parts = [pa.concat_tables([getattr(c, part) for c in got]).sort_by("line_no")
             for part in ("positions", "reports", "quarantine")]
    return [*parts, skipped, sum(c.records_read for c in got), [c.records_read for c in got]]


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_read_by_read_csv_as_by_the_block_reader(
        name: str, shared_data: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = shared_data / "ais_positions" / name
    caplog.set_level(logging.DEBUG, logger="cargotrace.ingest.tables")
    fast, blocks = _both(path, REAL[name], chunk_records=40_000)
    assert BLOCKS not in caplog.text  # these files are read by read_csv
    assert fast == blocks
    _, _, quarantine, skipped, records, sizes = fast
    lines = path.read_bytes().count(b"\n")  # the header, then one row a line
    assert records == lines - 1 and sizes == [min(40_000, lines - 1 - i)
                                              for i in range(0, lines - 1, 40_000)]
    assert _stored_lines(fast) + sum(skipped.values()) == records  # type: ignore[attr-defined]
    assert quarantine.num_rows == 0  # type: ignore[attr-defined]


@contextlib.contextmanager
def _never_staged(*args: object) -> Iterator[None]:
    yield None


def test_marinecadastre_stored_the_same_through_either_reader(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole file through the pipeline, once per reader (staged in SQL, read_csv chunks,
    blocks): the same stored rows, and the counts pandas finds in the CSV text."""
    import pandas as pd

    path = shared_data / "ais_positions" / MC
    stored = []
    for reader in ("sql", "read_csv", "blocks"):
        if reader == "read_csv":  # the chunk path: no staging in SQL
            monkeypatch.setattr(pipeline, "staged_in_sql", _never_staged)
        if reader == "blocks":
            monkeypatch.setattr(tables, "_read_csv_whole", _not_pairable)
        with cargotrace.open_store(tmp_path / f"{reader}.duckdb") as store:
            summary = ingest_file(store, path)
            stored.append([
                store.con.execute(f"SELECT * EXCLUDE (source, ingest_id) FROM {table} "
                                  "ORDER BY ALL").fetchall()
                for table in ("positions", "vessel_reports")
            ] + [store.con.execute("SELECT line_no, reason, raw FROM quarantine ORDER BY ALL")
                 .fetchall(), summary.to_dict() | {"duration_s": None, "path": None}])
    assert stored[0] == stored[1] == stored[2]
    positions, reports, quarantine, _ = stored[0]
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    valid = df[pd.to_numeric(df["MMSI"]).between(100_000_000, 999_999_999)]
    static = ["VesselName", "IMO", "CallSign", "VesselType", "Length", "Width", "Draft"]
    with_static = valid[(valid[static] != "").any(axis=1)]
    assert len(quarantine) == len(df) - len(valid) > 0
    assert {reason for _, reason, _ in quarantine} == {"malformed_mmsi"}
    assert len(positions) == len(valid.drop_duplicates(["MMSI", "BaseDateTime", "LAT", "LON"]))
    assert len(reports) == len(with_static.drop_duplicates(["MMSI", "BaseDateTime", *static]))


def _stored_lines(read: list[object]) -> int:
    """Lines that gave a position, a report or both."""
    return len({line for part in read[:2]
                for line in part.column("line_no").to_pylist()})  # type: ignore[attr-defined]


def _not_pairable(*args: object, **kwargs: object) -> object:
    raise tables._NotPairable


@pytest.mark.parametrize("variant", sorted(table_variants([b""] * 8, b"")))
def test_damaged_and_re_laid_out_rows_read_alike(
        variant: str, shared_data: Path, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    path, rows, expect_read_csv = variant_file(shared_data, tmp_path, variant)
    caplog.set_level(logging.DEBUG, logger="cargotrace.ingest.tables")
    fast, blocks = _both(path, InputFormat.MARINECADASTRE, chunk_records=25)
    assert (BLOCKS not in caplog.text) is expect_read_csv
    assert fast == blocks
    _, _, quarantine, skipped, records, _ = fast
    assert records == len(rows) - 1
    assert (_stored_lines(fast) + quarantine.num_rows  # type: ignore[attr-defined]
            + sum(skipped.values())) == records  # type: ignore[attr-defined]
