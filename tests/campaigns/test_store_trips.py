"""Trips from stored shuttle events (issue 15): a vessel's calls listed both in its own shuttle
event and in its group's count once, and a stored trip inside a file entry's period corroborates
that entry's trip (weights combined) instead of being dropped or counted twice. Counts and
weights are recomputed in the test from the port visits themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

import cargotrace
from cargotrace.cases.campaign import build_campaign, read_campaign
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import ShuttleParams
from cargotrace.detect.shuttles import calls_from_events, detect_shuttles
from cargotrace.ingest.gazetteers import load_curated_gazetteer
from cargotrace.store.events import Event, events_table, store_events

MMSI = {"a": 273110000, "b": 273220000}
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _campaign(tmp_path: Path) -> Path:
    source = {"title": "t", "publisher": "p", "date": "2024-06-01"}
    doc: dict[str, Any] = {
        "campaign": "pair", "title": "two ships", "start": "2024-03-01",
        "vessels": [{"id": k, "name": k.upper(), "mmsi": m,
                     "capacity": {"low": 100, "mode": 100, "high": 100, "basis": "counted"}}
                    for k, m in MMSI.items()],
        "corridors": [{"id": "sea", "from": "Najin", "to": "Dunay", "mode": "sea",
                       "vessels": list(MMSI)}],
        # one report of vessel a's first two deliveries (3-10 March), graded B2
        "trips": [{"id": "report", "corridor": "sea", "vessels": ["a"],
                   "period": ["2024-03-02", "2024-03-10"], "round_trips": 2,
                   "evidence": ["rep"]}],
        "evidence": [{"id": "rep", "kind": "media_report", "place": "Dunay",
                      "observed": ["2024-03-02", "2024-03-10"], "what": "two deliveries",
                      "source": source, "grading": "B2"}],
    }
    path = tmp_path / "pair.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_group_and_own_events_count_a_delivery_once_and_corroborate_the_file(
        tmp_path: Path) -> None:
    visits = [Event(EventKind.PORT_VISIT, m, T0 + timedelta(days=3 * k + off),
                    T0 + timedelta(days=3 * k + off, hours=20),
                    place_id="ct:najin" if k % 2 == 0 else "ct:dunay", attrs={"segment": 0})
              for off, m in enumerate(MMSI.values()) for k in range(7)]
    shuttles = detect_shuttles(calls_from_events(visits, ShuttleParams()), ShuttleParams())
    assert len(shuttles) == 3  # each ship's own event and the group's list the same calls
    with cargotrace.open_store(tmp_path / "s.duckdb") as store:
        load_curated_gazetteer(store)
        store_events(store, events_table(shuttles, "gfw", ShuttleParams()), ["shuttle"])
        result = build_campaign(read_campaign(_campaign(tmp_path)), store)
    # deliveries: a Dunay visit right after a Najin visit of the same ship
    arrivals = {v: [e.start for e, prev in zip(
        [e for e in visits if e.mmsi == m][1:], [e for e in visits if e.mmsi == m], strict=False)
        if (prev.place_id, e.place_id) == ("ct:najin", "ct:dunay")] for v, m in MMSI.items()}
    assert {v: len(a) for v, a in arrivals.items()} == {"a": 3, "b": 3}
    lo, hi = datetime(2024, 3, 2, tzinfo=UTC), datetime(2024, 3, 11, tzinfo=UTC)
    inside = [t for t in arrivals["a"] if lo <= t <= hi]
    assert len(inside) == 2
    by_vessel = {v: [t for t in result.trips if t.vessel == v] for v in MMSI}
    # 3 deliveries each: the file's 2 (corroborated by AIS) + 1 outside the period for a
    assert {v: len(t) for v, t in by_vessel.items()} == {"a": 3, "b": 3}
    report = [t for t in by_vessel["a"] if t.source == "file"]
    assert len(report) == 2
    for t in report:  # B2 0.64 and two seen calls 1.0: 1 - 0.36 x 0.0
        assert t.weight == pytest.approx(1 - (1 - 0.64) * (1 - 1.0))
        assert len(t.calls) == 2 and t.calls[1]["how"] == "port_visit"
        assert len(t.evidence) == 2  # the report and the shuttle event
    ais_a = [t for t in by_vessel["a"] if t.source == "ais"]
    assert [t.at for t in ais_a] == [a for a in arrivals["a"] if a not in inside]
    assert sorted(t.at for t in by_vessel["b"]) == arrivals["b"]
