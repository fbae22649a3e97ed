"""A run over buckets of vessels (`buckets.py`) stores exactly the events of a run in one piece:
the same rows in `events` and `position_flags` (EXCEPT ALL both ways, plain SQL), the same
notes and provenance, on the simulator's `mixed` scenario (identity jumps and flag changes,
encounters, shuttles, coverage silences) and on the real MarineCadastre sample (whose export
cut is a run-wide coverage outage), over all the data and over a window."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest

import cargotrace
from cargotrace.detect.buckets import BucketParams, bucket_count
from cargotrace.detect.run import DetectSummary, detect

from .factories import T0, copy_store, make_report, store_rows, track

BUCKETS = 3


def _forcing(store: cargotrace.Store, buckets: int) -> BucketParams:
    """Bucket parameters that split this store's positions into `buckets` buckets."""
    total = store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
    return BucketParams(positions_per_bucket=math.ceil(total / buckets))


def _differences(store: cargotrace.Store, other: Path) -> dict[str, int]:
    """Rows of `events` and `position_flags` in one store and not in the other (both ways)."""
    store.con.execute(f"ATTACH '{other}' AS other (READ_ONLY)")
    try:
        found = {}
        for table in ("events", "position_flags"):
            found[table] = store.con.execute(f"""
                SELECT count(*) FROM (
                    (SELECT * FROM {table} EXCEPT ALL SELECT * FROM other.{table})
                    UNION ALL
                    (SELECT * FROM other.{table} EXCEPT ALL SELECT * FROM {table}))
            """).fetchall()[0][0]
    finally:
        store.con.execute("DETACH other")
    return found


def _same_run(one: DetectSummary, many: DetectSummary) -> None:
    assert one.buckets == 1 and many.buckets == BUCKETS
    assert many.written == one.written
    assert many.notes == one.notes and many.inputs == one.inputs
    assert many.flagged == one.flagged and many.data_end == one.data_end


@pytest.fixture(scope="module")
def whole_run(mixed_with_ports: Path, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Path, DetectSummary]:
    """`mixed` (50 ships, 10 days, the scenario's ports) detected in one piece (the default
    for a store this small)."""
    path = copy_store(mixed_with_ports, tmp_path_factory.mktemp("buckets-one"))
    with cargotrace.open_store(path) as store:
        return path, detect(store)


def test_buckets_give_the_events_of_one_piece(
    whole_run: tuple[Path, DetectSummary], mixed_with_ports: Path, tmp_path: Path,
) -> None:
    one_path, one = whole_run
    path = copy_store(mixed_with_ports, tmp_path)
    with cargotrace.open_store(path) as store:
        many = detect(store, buckets=_forcing(store, BUCKETS))
        assert _differences(store, one_path) == {"events": 0, "position_flags": 0}
        # the buckets really split what is compared across vessels: pairs of encounters
        # whose ships sit in different buckets, shuttles and flag changes are all there
        split_pairs, identity, shuttles, per_bucket = store.con.execute(f"""
            SELECT
              (SELECT count(*) FROM events WHERE kind = 'encounter'
                 AND mmsi % {BUCKETS} <> other_mmsi % {BUCKETS}),
              (SELECT count(*) FROM events WHERE kind = 'identity'),
              (SELECT count(*) FROM events WHERE kind = 'shuttle'),
              (SELECT count(DISTINCT mmsi % {BUCKETS}) FROM positions)""").fetchall()[0]
    _same_run(one, many)
    assert split_pairs >= 1 and identity >= 1 and shuttles >= 1 and per_bucket == BUCKETS


def test_a_windowed_redetect_over_buckets_gives_the_events_of_one_piece(
    whole_run: tuple[Path, DetectSummary], tmp_path: Path,
) -> None:
    """`--since/--until` over buckets: each kind reads its margins (`window.py`) in every
    bucket, and the window's events replaced are those a whole run in one piece stored."""
    one_path, _ = whole_run
    path = copy_store(one_path, tmp_path)
    with cargotrace.open_store(path) as store:
        first = store.con.execute("SELECT min(ts) FROM positions").fetchall()[0][0]
        since = first.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=4)
        until = since + timedelta(days=2)
        in_window = store.con.execute("SELECT count(*) FROM events WHERE start >= ? AND "
                                      "start < ?", [since, until]).fetchall()[0][0]
        many = detect(store, since=since, until=until, buckets=_forcing(store, 5))
        assert _differences(store, one_path) == {"events": 0, "position_flags": 0}
    assert many.buckets >= BUCKETS and many.window["since"] == since.isoformat()
    assert many.replaced == in_window and in_window >= 10


def test_buckets_keep_the_real_feeds_coverage_outage(
    marinecadastre_store: Path, marinecadastre_detected: Path, tmp_path: Path,
) -> None:
    """MarineCadastre's export ends 21 minutes into the day for 99.6 % of its rows: every
    silence after that is the feed's, judged on all vessels' hours, not a bucket's. Its lone
    outliers (GPS glitches) move the coverage model drawn over every position, so the
    buckets are detected again with the model drawn without them (`detect_in_buckets`).
    Compared with the sample detected in one piece (`marinecadastre_detected`)."""
    path = copy_store(marinecadastre_store, tmp_path)
    with cargotrace.open_store(path) as store:
        calls: list[tuple[str, int, int]] = []
        many = detect(store, buckets=_forcing(store, 2),
                      progress=lambda step, done, total: calls.append((step, done, total)))
        assert _differences(store, marinecadastre_detected) == {
            "events": 0, "position_flags": 0}
        stored, flagged = store.con.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM position_flags)"
        ).fetchall()[0]
    assert many.buckets == 2
    # the progress bar's steps: the model, each bucket (twice: the model was redrawn), the
    # kinds that compare vessels, done
    assert [c[0] for c in calls] == ["coverage", "vessels 1/2", "vessels 2/2", "vessels 1/2",
                                     "vessels 2/2", "across vessels", "done"]
    assert {c[2] for c in calls} == {4}
    assert stored == sum(many.written.values()) and stored >= 1
    assert flagged == many.flagged and flagged >= 10


def test_the_bucket_count_follows_the_positions_read() -> None:
    params = BucketParams()
    assert bucket_count(0, params) == 1
    assert bucket_count(params.positions_per_bucket, params) == 1
    assert bucket_count(params.positions_per_bucket + 1, params) == 2
    assert bucket_count(100_000_000, BucketParams(8_000_000)) == 13
    with pytest.raises(ValueError, match="at least 1"):
        BucketParams(positions_per_bucket=0)


def test_a_bucket_without_positions_still_reads_its_vessels_reports(
    tmp_store: cargotrace.Store,
) -> None:
    """MMSIs need not spread over the buckets: with two even MMSIs and 4 buckets, buckets 1
    and 3 hold no position, and the vessel heard only in static reports (in bucket 3) still
    gets its rename, as in one piece."""
    rows = track(636000002, hours=3) + track(636000004, start=T0 + timedelta(hours=10), hours=3)
    reports = [make_report(636000003, T0, name="ALPHA"),
               make_report(636000003, T0 + timedelta(hours=2), name="BRAVO")]
    store_rows(tmp_store, rows, reports)
    one = detect(tmp_store)
    first = tmp_store.con.execute("SELECT * FROM events ORDER BY event_id").fetchall()
    many = detect(tmp_store, buckets=BucketParams(positions_per_bucket=len(rows) // 4 + 1))
    again = tmp_store.con.execute("SELECT * FROM events ORDER BY event_id").fetchall()
    renamed = tmp_store.con.execute(
        "SELECT count(*) FROM events WHERE kind = 'identity' AND mmsi = 636000003"
    ).fetchall()[0][0]
    assert (one.buckets, many.buckets) == (1, 4)
    assert again == first and renamed == 1 and many.written == one.written
