"""Many kinds of corruption in realistic tag-blocked NMEA: nothing stored wrong, nothing lost.

A few thousand lines (the real aisdb capture and a simulated hour), a fifth of the messages
damaged in ~23 ways, checked line by line against pyais (see nmea_fuzz.py). The same check on
about a million lines is bench/fuzz_nmea.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cargotrace import Store
from cargotrace.ingest import nmea
from cargotrace.ingest.nmea import read_nmea
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.sim.sample import scaled_fleet, write_sample_nmea

from .nmea_fuzz import KINDS, Corpus, corrupt, group_messages
from .nmea_fuzz_accounting import account, staged_damaged_lines

# An assumed time that must never be used: every line has a c: time, or a broken one.
OPTIONS = IngestOptions(assume_time=datetime(2023, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> tuple[Corpus, Path]:
    folder = tmp_path_factory.mktemp("fuzz")
    simulated = folder / "sim.nmea"
    write_sample_nmea(simulated, hours=1.5, fleet=scaled_fleet(20))
    real = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    base = group_messages(real.read_bytes().splitlines() + simulated.read_bytes().splitlines())
    corpus = corrupt(base, rate=0.2, seed=21)
    path = folder / "fuzzed.nmea"
    corpus.write(path)
    return corpus, path


def test_every_line_is_stored_quarantined_or_counted_and_intact_ones_match_pyais(
    tmp_store: Store, fuzzed: tuple[Corpus, Path]
) -> None:
    corpus, path = fuzzed
    kinds = corpus.kinds()
    assert set(KINDS) <= set(kinds), set(KINDS) - set(kinds)
    assert min(kinds[k] for k in KINDS) >= 5
    assert len(corpus.lines) == len(path.read_bytes().splitlines()) > 2500
    summary = ingest_file(tmp_store, path, OPTIONS)
    accounting = account(corpus, tmp_store, summary)
    assert accounting.problems == []
    assert tmp_store.count("quarantine") == summary.quarantined_total
    assert accounting.intact_positions > 2000 and accounting.damaged_lines > 400


def test_bulk_and_checked_paths_agree_on_every_fuzzed_line(fuzzed: tuple[Corpus, Path]) -> None:
    _, path = fuzzed
    chunks = list(read_nmea(path, OPTIONS))
    reader = nmea._NmeaReader(path, OPTIONS)
    with path.open("rb") as fh:
        for line_no, line in enumerate(nmea._lines(fh, path), start=1):
            reader.read_line(line_no, line)
    reader.flush_stale(line_no, everything=True)
    checked = reader.out.build(0)

    def rows(tables: list[object], columns: list[str]) -> list[tuple[object, ...]]:
        return sorted(tuple(r[c] for c in columns) for t in tables for r in t.to_pylist())

    q = ["line_no", "reason", "detail"]
    assert rows([c.quarantine for c in chunks], q) == rows([checked.quarantine], q)
    p = ["line_no", "mmsi", "ts", "lat", "lon", "sog", "cog", "heading", "station"]
    positions = rows([c.positions for c in chunks], p)
    assert positions == rows([checked.positions], p)
    # no record staged from a damaged line (the store keeps no line numbers to check this)
    reports = rows([c.reports for c in chunks], ["line_no"])
    corpus = fuzzed[0]
    assert staged_damaged_lines(corpus, [r[0] for r in positions + reports]) == []
    assert len(positions) > 2000
