"""Re-ingesting a changed copy of a file never duplicates its quarantine rows (issue 21).

The real sample (pyais nmea_data_sample.txt) has 120 quarantined records: 100 empty payloads in
two texts repeated 58 and 42 times, and 20 incomplete multipart messages. Expected counts come
from the file's text, split by hand here, not from the reader.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import cargotrace
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.pipeline import ingest_file

OPTIONS = IngestOptions(assume_time=datetime(2023, 1, 1, tzinfo=UTC))


def _empty_payloads(text: str) -> int:
    """AIS sentences whose payload (the 6th field) is empty, counted on the text."""
    return sum(1 for line in text.splitlines()
               if line.startswith("!AIVDM") and line.split(",")[5] == "")


def _quarantine(store: cargotrace.Store) -> dict[str, int]:
    rows = store.con.execute("SELECT reason, count(*) FROM quarantine GROUP BY reason").fetchall()
    return {reason: int(n) for reason, n in rows}


@pytest.fixture
def sample(shared_data: Path, tmp_path: Path) -> tuple[Path, str]:
    text = (shared_data / "ais_nmea/pyais/nmea_data_sample.txt").read_text()
    path = tmp_path / "feed.nmea"
    path.write_text(text)
    return path, text


@pytest.mark.parametrize("change", ["blank line at the end", "blank line at the start"])
def test_changed_file_does_not_duplicate_quarantine(
    sample: tuple[Path, str], tmp_store: cargotrace.Store, change: str
) -> None:
    path, text = sample
    first = ingest_file(tmp_store, path, OPTIONS)
    before = _quarantine(tmp_store)
    assert before["empty_payload"] == _empty_payloads(text) == 100
    assert first.quarantined_total == sum(before.values()) and first.quarantined_before == 0

    path.write_text(text + "\n" if change.endswith("end") else "\n" + text)
    second = ingest_file(tmp_store, path, OPTIONS)
    assert not second.already_ingested  # a new hash: the file was read again
    assert _quarantine(tmp_store) == before
    # the summary still tells what this file holds, and that it was already quarantined
    assert second.quarantined == first.quarantined
    assert second.quarantined_before == first.quarantined_total
    ingests = tmp_store.con.execute("SELECT count(*) FROM ingests").fetchall()[0][0]
    assert ingests == 2


def test_a_new_bad_line_is_added_once_and_repeats_stay_counted(
    sample: tuple[Path, str], tmp_store: cargotrace.Store
) -> None:
    path, text = sample
    ingest_file(tmp_store, path, OPTIONS)
    before = _quarantine(tmp_store)
    changed = text.rstrip("\n") + "\n!AIVDM,1,1,,B,,0*25\n"  # one more of the 58 identical
    path.write_text(changed)
    second = ingest_file(tmp_store, path, OPTIONS)
    after = _quarantine(tmp_store)
    assert after["empty_payload"] == _empty_payloads(changed) == before["empty_payload"] + 1
    assert second.quarantined_before == second.quarantined_total - 1
    new = tmp_store.con.execute(
        "SELECT line_no, raw, ingest_id FROM quarantine WHERE ingest_id = ?", [second.ingest_id]
    ).fetchall()
    assert new == [(len(changed.splitlines()), "!AIVDM,1,1,,B,,0*25", second.ingest_id)]


def test_another_source_keeps_its_own_quarantine(
    sample: tuple[Path, str], tmp_store: cargotrace.Store, tmp_path: Path
) -> None:
    """The key includes the source: the same bad lines in another file are that file's."""
    path, text = sample
    ingest_file(tmp_store, path, OPTIONS)
    other = tmp_path / "other.nmea"
    other.write_text(text + "\n")
    ingest_file(tmp_store, other, OPTIONS)
    per_source = tmp_store.con.execute(
        "SELECT source, count(*) FROM quarantine GROUP BY source ORDER BY source").fetchall()
    n = _empty_payloads(text) + 20
    assert per_source == [(str(path), n), (str(other), n)]


def _rows(store: cargotrace.Store) -> set[tuple[int, str, str]]:
    return {(int(n), str(r), str(raw)) for n, r, raw in store.con.execute(
        "SELECT line_no, reason, raw FROM quarantine").fetchall()}


@pytest.mark.parametrize("kind", ["duckdb", "lake"])
def test_records_stored_by_a_later_ingest_of_the_same_file_leave_quarantine(
    sample: tuple[Path, str], tmp_path: Path, kind: str
) -> None:
    """Found by a new-user test: the sample has no receive times, so 764 of its 898 records
    are quarantined as `missing_time`; ingested again with --assume-time they are stored, and
    their rows must leave the quarantine (the summary counts them as resolved), while the
    records still bad (empty payloads, incomplete multiparts) stay, with their first ingest."""
    path, text = sample
    lines = text.splitlines()
    target = tmp_path / "s.duckdb" if kind == "duckdb" else f"lake:{tmp_path / 'lake'}"
    from cargotrace.ingest.lake_writer import ingest_into_store

    with cargotrace.open_store(target) as store:
        first = ingest_into_store(store, path)
        before = _rows(store)
        second = ingest_into_store(store, path, OPTIONS)
        after = _rows(store)
        first_id = store.con.execute("SELECT min(ingest_id) FROM quarantine").fetchall()[0][0]
        ids = {i for (i,) in store.con.execute("SELECT DISTINCT ingest_id FROM quarantine")
               .fetchall()}
    missing = {row for row in before if row[1] == "missing_time"}
    assert len(missing) == first.quarantined["missing_time"] > len(before) / 2
    assert first.hints and "--assume-time" in first.hints[0] and not second.hints
    # each resolved row is a line of the file, read without a time, whose record is now stored
    assert all(raw.startswith("!AIVDM") and raw in lines[n - 1] for n, _, raw in missing)
    assert second.quarantine_resolved == len(missing)
    assert second.positions_read + second.reports_read == len(missing)
    assert after == before - missing  # the still-bad rows stay, as first stored
    assert ids == {first_id} and second.quarantined_before == len(after)
    assert second.to_dict()["quarantine_resolved"] == len(missing)


def test_a_changed_file_resolves_nothing(sample: tuple[Path, str],
                                          tmp_store: cargotrace.Store) -> None:
    """Line numbers name the same records only in the same content: after a line is added
    above them, an earlier row is not resolved (it is deduplicated as before)."""
    path, text = sample
    ingest_file(tmp_store, path)
    before = _rows(tmp_store)
    path.write_text("\n" + text)
    again = ingest_file(tmp_store, path, OPTIONS)
    assert again.quarantine_resolved == 0 and _rows(tmp_store) == before
