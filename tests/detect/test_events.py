"""Event ids: distinct events never share one, and the store refuses a collision instead of
silently keeping one of the rows (issue 21)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

import cargotrace
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import IdentityParams
from cargotrace.store.events import (
    Event,
    EventIdCollision,
    events_table,
    replace_events,
    store_events,
)

T = datetime(2022, 1, 3, tzinfo=UTC)


def teleport(lat: float, lon: float) -> Event:
    return Event(EventKind.IDENTITY, 220580000, T, T, lat=lat, lon=lon,
                 attrs={"identity_kind": "teleport", "n_positions": 2})


def test_the_id_recipe_as_documented() -> None:
    """docs/reference/store.md, recomputed by hand: the base fields, then the kind's fields."""
    gap = Event(EventKind.GAP, 273310020, T, None)
    base = "gap|273310020||2022-01-03T00:00:00.000000+00:00|open|"
    assert gap.event_id == hashlib.sha256(base.encode()).hexdigest()[:32]
    jump = teleport(48.26121, -123.45033)
    text = ("identity|220580000||2022-01-03T00:00:00.000000+00:00|2022-01-03T00:00:00.000000"
            "+00:00||identity_kind=teleport|lat=48.26121|lon=-123.45033|segments=|value_after="
            "|imo=")
    assert jump.event_id == hashlib.sha256(text.encode()).hexdigest()[:32]


def test_events_that_differ_get_different_ids() -> None:
    """The real sample's collision: two jumps of MAERSK LAUNCHER stamped with one second,
    apart only by where they were; a rename and a new call sign in one report; two ships of
    one MMSI calling at one place at once."""
    assert teleport(48.26121, -123.45033).event_id != teleport(48.33347, -123.3425).event_id
    change = Event(EventKind.IDENTITY, 273310020, T, T,
                   attrs={"identity_kind": "name_change", "value_after": "POLAR"})
    assert len({change.event_id,
                replace(change, attrs={**change.attrs, "identity_kind": "callsign_change"})
                .event_id,
                replace(change, attrs={**change.attrs, "value_after": "POLAR 2"}).event_id}) == 3
    visit = Event(EventKind.PORT_VISIT, 273310020, T, None, place_id="wpi:1",
                  attrs={"segment": 0})
    assert visit.event_id != replace(visit, attrs={"segment": 1}).event_id
    # a numpy float is the same number as a Python one, and gives the same id
    assert teleport(np.float64(48.26121), -123.45033).event_id == teleport(
        48.26121, -123.45033).event_id


def test_identical_rows_are_folded_and_counted(tmp_store: cargotrace.Store) -> None:
    events = [teleport(48.26121, -123.45033), teleport(48.33347, -123.3425)]
    table = events_table([*events, events[0]], "gfw", IdentityParams())
    replaced = store_events(tmp_store, table, ["identity"])
    assert (replaced.removed, replaced.written, replaced.folded) == (0, 2, 1)
    assert tmp_store.con.execute(
        "SELECT count(*), count(DISTINCT event_id) FROM events").fetchall() == [(2, 2)]
    # a re-run replaces, it does not add
    assert replace_events(tmp_store, table, ["identity"]) == (2, 2)


def test_a_collision_between_different_events_is_an_error(tmp_store: cargotrace.Store) -> None:
    """Two different rows forced onto one id (a recipe bug): nothing is written, and the
    error names both rows."""
    table = events_table([teleport(48.26121, -123.45033), teleport(48.33347, -123.3425)],
                         "gfw", IdentityParams())
    same_id = table.set_column(0, "event_id", pa.array(["x" * 32] * 2))
    replace_events(tmp_store, events_table([teleport(1.0, 2.0)], "gfw", IdentityParams()),
                   ["identity"])
    with pytest.raises(EventIdCollision) as info:
        store_events(tmp_store, same_id, ["identity"])
    message = str(info.value)
    assert message.startswith(f"two different events share event_id {'x' * 32}: (")
    assert "lat=48.26121" in message and "lat=48.33347" in message
    # the transaction was rolled back: the earlier event is still there, nothing new
    assert tmp_store.con.execute("SELECT lat FROM events").fetchall() == [(1.0,)]


def test_only_events_starting_in_the_window_are_stored(tmp_store: cargotrace.Store) -> None:
    """The window rule lives in `store_events`: events found in a windowed run's margins
    (starting before `since` or at/after `until`) are another window's, never stored, and
    the stored ones of that other window are left alone."""
    from datetime import timedelta

    hours = [T + timedelta(hours=h) for h in range(-3, 6)]
    events = [replace(teleport(48.26121 + i / 100, -123.45033), start=t, end=t)
              for i, t in enumerate(hours)]
    table = events_table(events, "gfw", IdentityParams())
    store_events(tmp_store, table, ["identity"])  # a full run: all 9
    since, until = T, T + timedelta(hours=3)
    again = events_table([replace(e, lat=e.lat + 1) for e in events], "gfw", IdentityParams())
    replaced = store_events(tmp_store, again, ["identity"], since, until)
    frame = again.to_pandas()
    inside = frame[(frame.start >= since) & (frame.start < until)]
    assert (replaced.removed, replaced.written, replaced.outside) == (
        len(inside), len(inside), len(frame) - len(inside))
    assert replaced.written_by_kind == {"identity": len(inside)}
    stored = tmp_store.con.execute("SELECT event_id FROM events").fetchall()
    # the window's events are the new ones; outside it the full run's are still there
    expected = set(inside.event_id) | set(
        e.event_id for e in events if not since <= e.start < until)
    assert {r[0] for r in stored} == expected


def test_events_of_kinds_not_replaced_are_refused(tmp_store: cargotrace.Store) -> None:
    table = events_table([teleport(48.26121, -123.45033)], "gfw", IdentityParams())
    with pytest.raises(ValueError, match="identity"):
        store_events(tmp_store, table, ["gap"])
    assert tmp_store.count("events") == 0
