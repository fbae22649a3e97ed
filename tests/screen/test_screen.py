"""Screening every vessel of the real MarineCadastre sample (2022-01-03, 99,999 rows)."""

from __future__ import annotations

from pathlib import Path

import cargotrace
from cargotrace.detect.kinds import EventKind
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.screen.imo import imo_check_digit_ok
from cargotrace.screen.match import CONFIRMED
from cargotrace.screen.screen import ScreenSummary, screen_store
from cargotrace.store.events import list_events

from .factories import MARINECADASTRE


def test_screening_the_marinecadastre_sample(screen_store: cargotrace.Store,
                                             shared_data: Path) -> None:
    store = screen_store
    ingest_file(store, shared_data / MARINECADASTRE)
    summary = screen_store_and_check_counts(store)
    # Independent check: which reported IMO numbers (valid check digit) are on a list?
    listed = store.con.execute(
        """SELECT DISTINCT r.mmsi, r.imo FROM vessel_reports r
           JOIN sanctions_entities e ON e.schema = 'Vessel' AND e.imo = r.imo""").fetchall()
    expected = {(int(m), int(i)) for m, i in listed if imo_check_digit_ok(i)}
    confirmed = {(h.mmsi, h.imo) for h in summary.hits if h.match == CONFIRMED}
    assert confirmed == expected
    # the sample does hold two listed ships: VIKTOR BAKAEV and (renamed MAGUS) FREEDOM
    assert {h.entity_name for h in summary.confirmed} == {"VIKTOR BAKAEV", "FREEDOM"}
    events = list_events(store, kind=EventKind.SANCTION_MATCH)
    assert len(events) == len({h.mmsi for h in summary.hits})
    bakaev = next(e for e in events if e["mmsi"] == 636015565)
    assert bakaev["attrs"]["match"] == CONFIRMED
    assert bakaev["attrs"]["entity_id"] == "ofac-46611"
    assert bakaev["params"]["loads"] == {"ofac": 1}
    again = screen_store_and_check_counts(store)
    assert again.events_replaced == len(events)
    assert len(list_events(store, kind=EventKind.SANCTION_MATCH)) == len(events)


def screen_store_and_check_counts(store: cargotrace.Store) -> ScreenSummary:
    summary = screen_store(store)
    assert summary.vessels == 10_623  # distinct MMSIs of the sample
    assert summary.list_vessels == 851
    assert all(h.match != CONFIRMED or h.fields["imo"] == "equal" or h.fields["mmsi"] == "equal"
               for h in summary.hits)
    return summary
