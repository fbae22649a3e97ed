"""A write the disk refuses: one line naming the store and the cause, exit 1, the file as it was.

Issue 21: on a full 12 MB tmpfs an ingest printed a 45-line traceback ending in "cannot rollback -
no transaction is active" and left the store grown to fill the disk. A test cannot mount a
tmpfs, so the child process gets a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored): DuckDB's
writes past it fail with EFBIG ("File too large") through the same code paths as ENOSPC.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cargotrace
from cargotrace.ingest.gazetteers import load_curated_gazetteer
from cargotrace.ingest.pipeline import ingest_file

CHILD = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.argv = ["cargotrace", "ingest", "--quiet", "--store", *sys.argv[2:]]
from cargotrace.cli import main
main()
"""


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the curated places: what an ingest must leave untouched when it fails."""
    path = tmp_path_factory.mktemp("base") / "s.duckdb"
    with cargotrace.open_store(path) as st:
        load_curated_gazetteer(st)
    return path


def _counts(path: Path) -> tuple[int, int, int, int]:
    with cargotrace.open_store(path, read_only=True) as st:
        return (st.count("places"), st.count("positions"), st.count("quarantine"),
                st.count("ingests"))


@pytest.mark.parametrize(
    ("source", "limit", "fails_at"),
    [("ais_nmea/aisdb/test_data_20211101.nm4", 64 * 1024, "commit: the log cannot be written"),
     ("ais_positions/marinecadastre_AIS_2022_01_03_first99999.csv", 100_000,
      "the store file cannot grow")],
)
def test_a_refused_write_is_one_line_and_leaves_the_store_as_it_was(
    base_store: Path, tmp_path: Path, shared_data: Path, source: str, limit: int, fails_at: str
) -> None:
    store = tmp_path / "s.duckdb"
    shutil.copyfile(base_store, store)
    before = store.read_bytes()
    counts = _counts(store)
    path = tmp_path / "input" / Path(source).name
    path.parent.mkdir()
    # the first 30,000 lines: enough to need more room than the limit leaves, and quick
    lines = (shared_data / source).read_bytes().split(b"\n")[:30_000]
    path.write_bytes(b"\n".join(lines).rstrip(b"\n") + b"\n")
    # the MarineCadastre case: the limit lies beyond the file's end, so only growth is refused
    size_limit = limit if limit < len(before) else len(before) + limit
    result = subprocess.run([sys.executable, "-c", CHILD, str(size_limit), str(store), str(path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1, result.stderr
    assert result.stderr == (f"Error: {store}: File too large (the ingest of {path} undone; "
                             "the store is as it was)\n"), fails_at
    assert store.read_bytes() == before  # not grown, not changed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input", "s.duckdb"]  # no log left
    assert _counts(store) == counts
    # and the store is fine: without the limit the same file goes in
    with cargotrace.open_store(store) as st:
        summary = ingest_file(st, path)
        assert st.count("positions") == summary.positions_stored > 0
