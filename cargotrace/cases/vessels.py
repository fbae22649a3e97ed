"""Vessels for sea legs: those named in the evidence, checked, and candidates from the store.

A candidate is a vessel whose events place it at the leg's start within its depart window and at
its end within its arrive window (each widened by `vessel_window_slack_h`). Each end scores the
strongest event that places it there, a fixed and documented strength: a port visit 1.0 (seen
there), a dark voyage from or to the place 0.9 (left or reached it with AIS off), a possible dark
port call 0.6 (could have called while silent), a gap that began or ended near the place 0.5. A
candidate's score is the product of its two ends. Sanctions hits are attached, never used to
rank: the analyst sees them, the ranking stays about movements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cargotrace.cases.naming import resolve_name_only
from cargotrace.cases.params import CaseParams
from cargotrace.cases.schema import VesselRef
from cargotrace.geo import sphere
from cargotrace.screen.candidates import match_all
from cargotrace.screen.match import CONFIRMED, ListVessel, Match, Vessel
from cargotrace.screen.params import ScreenParams
from cargotrace.screen.screen import list_vessels, store_vessels
from cargotrace.store.names import name_key
from cargotrace.store.places import Place
from cargotrace.store.store import Store

__all__ = ["Candidate", "NamedCheck", "VesselFinder"]

STRENGTH = {"port_visit": 1.0, "dark_voyage": 0.9, "possible_dark_port_call": 0.6, "gap": 0.5}
KINDS = tuple(STRENGTH)


def _hit_dict(m: Match) -> dict[str, Any]:
    return {"list": m.list, "entity_id": m.entity_id, "entity_name": m.entity_name,
            "imo": m.imo, "program": m.program, "match": m.match, "score": round(m.score, 3),
            "reasons": m.reasons}


def sanctioned(hits: list[Match]) -> bool:
    return any(h.match == CONFIRMED for h in hits)


@dataclass
class Candidate:
    mmsi: int
    name: str | None
    imo: int | None
    score: float
    ends: list[dict[str, Any]]
    hits: list[Match] = field(default_factory=list)
    screened: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"mmsi": self.mmsi, "name": self.name, "imo": self.imo,
                "score": round(self.score, 3),
                "sanctioned": sanctioned(self.hits) if self.screened else None,
                "sanctions": [_hit_dict(h) for h in self.hits], "ends": self.ends}


@dataclass
class NamedCheck:
    """A vessel the evidence names, looked up in the store and screened against the lists."""

    ref: VesselRef
    evidence: tuple[str, ...]
    mmsis: list[int]
    hits: list[Match]
    screened: bool  # a store with at least one sanctions list (else nothing could be checked)
    store_hits: list[Match] = field(default_factory=list)  # of the store vessels found by name


    @property
    def sanctioned(self) -> bool | None:
        return sanctioned(self.hits) if self.screened else None

    @property
    def resolution(self) -> dict[str, Any] | None:
        """For a name without an IMO: the listed ship it probably is (naming.py)."""
        return resolve_name_only(self.ref, [*self.hits, *self.store_hits])

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.ref.name, "imo": self.ref.imo, "mmsi": self.ref.mmsi,
                "evidence": list(self.evidence), "in_store_mmsis": self.mmsis,
                "sanctioned": self.sanctioned, "resolution": self.resolution,
                "sanctions": [_hit_dict(h) for h in self.hits]}


_km = sphere.distance_km


class VesselFinder:
    """Looks vessels up in one store for one build (list entries and events read once)."""

    def __init__(self, store: Store | None, params: CaseParams,
                 screen: ScreenParams | None = None) -> None:
        self.store, self.params = store, params
        self.screen = screen or ScreenParams()
        self._entries: list[ListVessel] | None = None

    @property
    def entries(self) -> list[ListVessel]:
        if self._entries is None:
            self._entries = list_vessels(self.store) if self.store is not None else []
        return self._entries

    @property
    def screened(self) -> bool:
        """Whether vessels can be screened: a store with at least one list loaded."""
        return bool(self.entries)

    def hits_for(self, mmsis: list[int]) -> dict[int, list[Match]]:
        if self.store is None or not mmsis or not self.entries:
            return {}
        out: dict[int, list[Match]] = {}
        for hit in match_all(store_vessels(self.store, mmsis), self.entries, self.screen):
            out.setdefault(int(hit.mmsi or 0), []).append(hit)
        return out

    def check_named(self, ref: VesselRef, evidence: tuple[str, ...]) -> NamedCheck:
        if self.store is None:
            return NamedCheck(ref, evidence, [], [], False)
        con = self.store.con
        mmsis: set[int] = set()
        if ref.imo:
            mmsis |= {int(r[0]) for r in con.execute(
                "SELECT DISTINCT mmsi FROM vessel_reports WHERE imo = ?", [ref.imo]).fetchall()}
        if ref.mmsi:
            mmsis |= {int(r[0]) for r in con.execute(
                "SELECT mmsi FROM positions WHERE mmsi = $m UNION "
                "SELECT mmsi FROM vessel_reports WHERE mmsi = $m", {"m": ref.mmsi}).fetchall()}
        if ref.name and not mmsis:
            wanted = name_key(ref.name).compact
            names = [n for (n,) in con.execute(
                "SELECT DISTINCT name FROM vessel_reports WHERE name IS NOT NULL").fetchall()
                if name_key(n).compact == wanted]
            mmsis |= {int(r[0]) for r in con.execute(
                "SELECT DISTINCT mmsi FROM vessel_reports WHERE list_contains(?, name)",
                [names]).fetchall()}
        asked = Vessel(ref.mmsi, (ref.name,) if ref.name else (),
                       (ref.imo,) if ref.imo else (), label="the evidence")
        hits = match_all([asked], self.entries, self.screen) if self.entries else []
        seen = {h.entity_id for h in hits}
        store_hits: list[Match] = []
        for found in self.hits_for(sorted(mmsis)).values():
            hits += [h for h in found if h.entity_id not in seen]
            seen |= {h.entity_id for h in found}
            store_hits += found
        return NamedCheck(ref, evidence, sorted(mmsis), hits, self.screened, store_hits)

    def _events(self, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
        assert self.store is not None
        cur = self.store.con.execute(
            """SELECT event_id, kind, mmsi, start, "end", lat, lon, place_id, attrs FROM events
               WHERE list_contains(?, kind) AND start <= ? AND coalesce("end", start) >= ?
               ORDER BY mmsi, start, event_id""", [list(KINDS), hi, lo])
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for row in rows:
            row["attrs"] = json.loads(row["attrs"]) if isinstance(row["attrs"], str) else {}
        return rows

    def _near(self, place: Place, lat: Any, lon: Any) -> bool:
        if lat is None or lon is None:
            return False
        limit = place.radius_m / 1000 + self.params.vessel_near_km
        return _km(place.lat, place.lon, float(lat), float(lon)) <= limit

    def _strength(self, e: dict[str, Any], place: Place, lo: datetime, hi: datetime,
                  side: str) -> float:
        start, end = e["start"], e["end"] or e["start"]
        overlaps = start <= hi and end >= lo
        kind, attrs = e["kind"], e["attrs"]
        if kind == "port_visit":
            return STRENGTH[kind] if overlaps and e["place_id"] == place.place_id else 0.0
        if kind == "possible_dark_port_call":  # named, or one of the other ports that fit
            named = {e["place_id"], *(c.get("place_id") for c in attrs.get("candidates", []))}
            return STRENGTH[kind] if overlaps and place.place_id in named else 0.0
        if kind == "dark_voyage":
            if side == "depart":
                ok = attrs.get("from_place_id") == place.place_id and lo <= start <= hi
            else:
                ok = overlaps and place.place_id in (e["place_id"], attrs.get("to_place_id"))
            return STRENGTH[kind] if ok else 0.0
        if kind == "gap":
            began = lo <= start <= hi and self._near(place, e["lat"], e["lon"])
            ended = (e["end"] is not None and lo <= end <= hi
                     and self._near(place, attrs.get("end_lat"), attrs.get("end_lon")))
            return STRENGTH[kind] if began or ended else 0.0
        return 0.0

    def candidates(self, a: Place, depart: tuple[datetime, datetime], b: Place,
                   arrive: tuple[datetime, datetime]) -> list[Candidate]:
        """Vessels whose events fit the leg at both ends, best first."""
        if self.store is None:
            return []
        slack = timedelta(hours=self.params.vessel_window_slack_h)
        d_lo, d_hi = depart[0] - slack, depart[1] + slack
        a_lo, a_hi = arrive[0] - slack, arrive[1] + slack
        best: dict[int, dict[str, tuple[float, dict[str, Any]]]] = {}
        for e in self._events(min(d_lo, a_lo), max(d_hi, a_hi)):
            for side, place, lo, hi in (("depart", a, d_lo, d_hi), ("arrive", b, a_lo, a_hi)):
                s = self._strength(e, place, lo, hi, side)
                ends = best.setdefault(int(e["mmsi"]), {})
                if s > 0 and s > ends.get(side, (0.0, {}))[0]:
                    ends[side] = (s, {"side": side, "place": place.name, "kind": e["kind"],
                                      "event_id": e["event_id"], "start": e["start"],
                                      "end": e["end"], "strength": s})
        both = {m: ends for m, ends in best.items() if len(ends) == 2}
        if not both:
            return []
        hits = self.hits_for(sorted(both))
        info = {v.mmsi: v for v in store_vessels(self.store, sorted(both))}
        out = []
        for mmsi, ends in both.items():
            v = info.get(mmsi)
            out.append(Candidate(
                mmsi, v.names[0] if v and v.names else None,
                v.imos[0] if v and v.imos else None,
                ends["depart"][0] * ends["arrive"][0],
                [ends["depart"][1], ends["arrive"][1]], hits.get(mmsi, []), self.screened))
        out.sort(key=lambda c: (-c.score, not sanctioned(c.hits), c.mmsi))
        return out[: self.params.max_candidates]
