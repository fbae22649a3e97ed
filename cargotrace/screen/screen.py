"""Screen every vessel seen in the store and write `sanction_match` events.

One event per vessel with at least one hit (the event id recipe of `store/events.py` has no room
for a list entry, and "this vessel matched the lists" is the fact worth an event): its attrs are
the best hit — `list`, `entity_id`, `entity_name`, `program`, `programs`, `listed_on`, `imo`,
`match`, `score`, `reasons`, `fields` — plus every hit in `hits`. `start`/`end` are the first and
last time the vessel was seen (positions or static reports), so the event spans the period the
match is about; `confidence` is the best score. `params` holds the screening parameters and the
list loads screened against. Screening again replaces all `sanction_match` events.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cargotrace.detect.kinds import EventKind
from cargotrace.screen.candidates import match_all
from cargotrace.screen.match import CONFIRMED, ListVessel, Match, Vessel
from cargotrace.screen.params import ScreenParams
from cargotrace.store.events import Event, events_table, replace_events
from cargotrace.store.mid import flag_of
from cargotrace.store.store import Store

SCREEN_RUN_KEY = f"detected:{EventKind.SANCTION_MATCH}"


def list_vessels(store: Store) -> list[ListVessel]:
    """Vessel entities of every loaded list, with their list's date."""
    rows = store.con.execute(
        """SELECT e.id, e.list, e.names, e.imo, e.mmsi, e.flag, e.vessel_type, e.programs,
                  e.listed_on, l.as_of, e.load_id
           FROM sanctions_entities e JOIN sanctions_loads l USING (load_id)
           WHERE e.schema = 'Vessel' ORDER BY e.list, e.id""").fetchall()
    return [ListVessel(r[0], r[1], tuple(r[2]), r[3], r[4], r[5], r[6], tuple(r[7]), r[8],
                       r[9], int(r[10])) for r in rows]


def store_vessels(store: Store, mmsis: list[int] | None = None) -> list[Vessel]:
    """Every MMSI in positions or vessel_reports (or just `mmsis`) with what it reported."""
    rows = store.con.execute(
        """WITH ids AS (SELECT mmsi FROM positions UNION SELECT mmsi FROM vessel_reports),
           chosen AS (SELECT mmsi FROM ids WHERE $all OR list_contains($mmsis, mmsi)),
           seen AS (SELECT mmsi, min(ts) AS f, max(ts) AS l FROM positions
                    WHERE mmsi IN (SELECT mmsi FROM chosen) GROUP BY mmsi),
           rep AS (SELECT mmsi, list(DISTINCT name) FILTER (name IS NOT NULL) AS names,
                          list(DISTINCT imo) FILTER (imo IS NOT NULL) AS imos,
                          list(DISTINCT ship_type) FILTER (ship_type IS NOT NULL) AS types,
                          min(ts) AS f, max(ts) AS l
                   FROM vessel_reports WHERE mmsi IN (SELECT mmsi FROM chosen) GROUP BY mmsi)
           SELECT c.mmsi, rep.names, rep.imos, rep.types, least(seen.f, rep.f),
                  greatest(seen.l, rep.l)
           FROM chosen c LEFT JOIN seen USING (mmsi) LEFT JOIN rep USING (mmsi)
           ORDER BY c.mmsi""",
        {"all": mmsis is None, "mmsis": mmsis or []}).fetchall()
    return [Vessel(int(r[0]), tuple(sorted(r[1] or ())), tuple(sorted(r[2] or ())),
                   flag_of(int(r[0])), tuple(sorted(r[3] or ())), r[4], r[5]) for r in rows]


@dataclass(frozen=True)
class ScreenRecord:
    """What `events.params` records for a screening run."""

    params: ScreenParams
    loads: dict[str, int]  # list name → load_id screened against


@dataclass
class ScreenSummary:
    vessels: int
    list_vessels: int
    hits: list[Match] = field(default_factory=list)
    events_written: int = 0
    events_replaced: int = 0
    duration_s: float = 0.0

    @property
    def confirmed(self) -> list[Match]:
        return [h for h in self.hits if h.match == CONFIRMED]

    @property
    def vessels_hit(self) -> int:
        """Vessels with at least one hit (one sanction_match event each): a vessel can
        match several list entries, so hits alone overstate how many ships are concerned."""
        return len({h.mmsi for h in self.hits})

    def to_dict(self) -> dict[str, Any]:
        return {"vessels": self.vessels, "list_vessels": self.list_vessels,
                "vessels_with_hits": self.vessels_hit,
                "confirmed": len(self.confirmed), "possible": len(self.hits) -
                len(self.confirmed), "events_written": self.events_written,
                "events_replaced": self.events_replaced, "duration_s": round(self.duration_s, 2),
                "hits": [h.to_dict() for h in self.hits]}


def _event(vessel: Vessel, hits: list[Match]) -> Event:
    best = hits[0]
    start = vessel.first_seen or datetime(1970, 1, 1, tzinfo=UTC)
    attrs = {k: v for k, v in best.to_dict().items() if k not in ("mmsi", "load_id")}
    attrs["hits"] = [{k: v for k, v in h.to_dict().items() if k != "mmsi"} for h in hits]
    return Event(EventKind.SANCTION_MATCH, int(vessel.mmsi or 0), start, vessel.last_seen,
                 confidence=best.score, attrs=attrs)


def screen_store(store: Store, params: ScreenParams | None = None) -> ScreenSummary:
    """Match every vessel in the store against every loaded list; replace sanction_match events."""
    params = params or ScreenParams()
    started = time.perf_counter()
    vessels = store_vessels(store)
    entries = list_vessels(store)
    hits = match_all(vessels, entries, params)
    by_mmsi: dict[int, list[Match]] = {}
    for hit in hits:
        by_mmsi.setdefault(int(hit.mmsi or 0), []).append(hit)
    events = [_event(v, by_mmsi[int(v.mmsi or 0)]) for v in vessels
              if int(v.mmsi or 0) in by_mmsi]
    loads = {e.list: e.load_id for e in entries}
    table = events_table(events, "default", ScreenRecord(params, loads))
    removed, written = replace_events(store, table, [str(EventKind.SANCTION_MATCH)])
    summary = ScreenSummary(len(vessels), len(entries), hits, written, removed,
                            time.perf_counter() - started)
    store.con.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [SCREEN_RUN_KEY, json.dumps({
            "kind": str(EventKind.SANCTION_MATCH), "preset": "default", "loads": loads,
            "vessels": len(vessels), "events": written,
            "ran_at": datetime.now(UTC).isoformat(timespec="seconds")})])
    return summary
