"""Build a campaign: evidenced trips -> volume bands over time -> claims judged against them.

`build_campaign(campaign, store=None, params)` returns a `CampaignResult` whose `to_dict()` is
the `cargotrace campaign build --json` contract, and what a campaign report will draw: the trips
(with their evidence and weights), each vessel's capacity and its basis, the load factor, the
cumulative volume per month (P10/P50/P90, per corridor and in total), the claim verdicts, and
the parameters and file that produced them (provenance).

With a store, the vessels' capacities can come from their dimensions in `vessel_reports`, and
stored `shuttle` events of a campaign vessel between a corridor's two places add trips outside
the periods the file already counts for that vessel (so a trip is never counted twice).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from cargotrace.cases.campaign.capacity import vessel_capacity
from cargotrace.cases.campaign.claims import ClaimVerdict, day_end, day_start, judge_claim
from cargotrace.cases.campaign.params import CampaignParams
from cargotrace.cases.campaign.schema import Campaign, Triangular
from cargotrace.cases.campaign.volume import Draws, Trip, band, draw_loads
from cargotrace.cases.params import grading_weight
from cargotrace.errors import CargotraceError, UnreadableInputError
from cargotrace.store.store import Store
from cargotrace.version import __version__

__all__ = ["CampaignResult", "build_campaign", "file_trips"]


def _weight(gradings: list[str]) -> float:
    miss = 1.0
    for g in gradings:
        miss *= 1 - grading_weight(g)
    return 1 - miss


def file_trips(campaign: Campaign) -> list[Trip]:
    """Every round trip the file evidences, dated evenly over its entry's period (the k-th of n
    at the middle of the k-th n-th of it); an entry's `includes` are subtracted from its count
    (they are listed on their own)."""
    gradings = {e.id: e.grading for e in campaign.evidence}
    out: list[Trip] = []
    for entry in campaign.trips:
        n = entry.round_trips - len(entry.includes)
        lo, hi = entry.period
        weight = _weight([gradings[e] for e in entry.evidence])
        for k in range(n):
            at = lo + (hi - lo) * ((k + 0.5) / n)
            out.append(Trip(f"{entry.id}#{k + 1}", entry.id, entry.corridor,
                            entry.vessels[k % len(entry.vessels)], at, weight, "file",
                            tuple(entry.evidence)))
    return out


@dataclass
class CampaignResult:
    campaign: Campaign
    params: CampaignParams
    trips: list[Trip]
    capacities: dict[str, dict[str, Any]]
    load_factor: Triangular
    cumulative: list[dict[str, Any]]
    claims: list[ClaimVerdict]
    flags: list[str] = field(default_factory=list)
    source_path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        c = self.campaign
        return {
            "campaign": c.campaign, "title": c.title, "unit": c.unit,
            "start": c.start.isoformat(), "simulated": c.simulated,
            "corridors": [{"id": k.id, "from": k.origin, "to": k.destination, "mode": k.mode,
                           "vessels": k.vessels, "min_round_trip_d": k.min_round_trip_d}
                          for k in c.corridors],
            "vessels": [{"id": v.id, "name": v.name, "imo": v.imo, "mmsi": v.mmsi,
                         **self.capacities.get(v.id, {})} for v in c.vessels],
            "load_factor": self.load_factor.model_dump(),
            "trips": [t.to_dict() for t in self.trips],
            "cumulative": self.cumulative,
            "claims": [v.to_dict() for v in self.claims],
            "flags": self.flags,
            "provenance": {"file": self.source_path, "params": asdict(self.params),
                           "pipeline_version": f"cargotrace {__version__}"},
        }


def _months(start: datetime, end: datetime) -> list[datetime]:
    out, at = [], start.replace(day=1)
    while at <= end:
        at = (at + timedelta(days=32)).replace(day=1)
        out.append(at)
    return out


def _cumulative(campaign: Campaign, draws: Draws, end: datetime) -> list[dict[str, Any]]:
    """Per month end: cumulative volume P10/P50/P90, in total and per corridor with trips."""
    corridors = sorted({t.corridor for t in draws.trips})
    start = day_start(campaign.start)
    rows = []
    for at in _months(start, end):
        row: dict[str, Any] = {"date": at.date().isoformat(),
                               "trips": sum(1 for t in draws.trips if t.at < at),
                               "total": band(draws.volume(at, start)).to_dict()}
        if len(corridors) > 1:
            row["corridors"] = {k: band(draws.volume(at, start, k)).to_dict()
                                for k in corridors}
        rows.append(row)
    return rows


def _vessel_mmsis(store: Store, campaign: Campaign) -> dict[str, int]:
    """Each campaign vessel's MMSI in `vessel_reports` (by IMO, else by its MMSI); a stated
    MMSI without static reports still names the vessel's events."""
    ids: dict[str, int] = {}
    for v in campaign.vessels:
        col, val = ("imo", v.imo) if v.imo else ("mmsi", v.mmsi)
        if val is None:
            continue
        hit = store.con.execute(f"SELECT DISTINCT mmsi FROM vessel_reports WHERE {col} = ?",
                                [val]).fetchall()
        if hit:
            ids[v.id] = int(hit[0][0])
        elif v.mmsi is not None:
            ids[v.id] = v.mmsi
    return ids


def _store_trips(store: Store, campaign: Campaign, known: list[Trip],
                 flags: list[str]) -> tuple[list[Trip], list[tuple[str, Trip]]]:
    """Deliveries in stored shuttle events of campaign vessels on a corridor's two places,
    outside the periods the file already counts for that vessel; and those inside one, with
    the file entry whose trips they corroborate."""
    from cargotrace.routes.place_book import PlaceBook

    book = PlaceBook.from_store(store)
    ids = _vessel_mmsis(store, campaign)
    rows = store.con.execute("SELECT event_id, attrs FROM events WHERE kind = 'shuttle'"
                             ).fetchall()
    counted = {t.entry for t in known}
    periods = [(v, e.id, e.period) for e in campaign.trips if e.id in counted
               for v in e.vessels]
    out: list[Trip] = []
    inside: list[tuple[str, Trip]] = []
    arrivals: set[tuple[str, str]] = set()
    for corridor in campaign.corridors:
        try:
            origin = book.resolve(corridor.origin).place_id
            dest = book.resolve(corridor.destination).place_id
        except CargotraceError as exc:  # an unresolvable corridor has no stored trips
            flags.append(f"corridor {corridor.id}: {exc}; its stored shuttles are not read")
            continue
        for event_id, attrs_json in rows:
            attrs = json.loads(attrs_json)
            if sorted(attrs["places"]) != sorted([origin, dest]):
                continue
            for vid in corridor.vessels:
                mmsi = ids.get(vid)
                calls = [c for c in attrs["calls"] if c["mmsi"] == mmsi]
                for a, b in zip(calls, calls[1:], strict=False):
                    if a["place_ids"][0] != origin or b["place_ids"][0] != dest:
                        continue
                    # a vessel's calls can be in its own shuttle event and a group's: one
                    # arrival call is one delivery, whichever events list it
                    if (vid, b["event_id"]) in arrivals:
                        continue
                    arrivals.add((vid, b["event_id"]))
                    at = datetime.fromisoformat(b["start"])
                    seen = sum(1 for c in (a, b) if c["observed"]) / 2
                    trip = Trip(f"{event_id[:12]}@{at:%Y%m%dT%H%M}", event_id, corridor.id,
                                vid, at, 0.5 + 0.5 * seen, "ais", (event_id,), (a, b))
                    entry = next((e for v, e, (lo, hi) in periods
                                  if v == vid and lo <= at <= hi), None)
                    if entry is None:
                        out.append(trip)
                    else:
                        inside.append((entry, trip))
    return out, inside


def corroborate(trips: list[Trip], inside: list[tuple[str, Trip]]) -> list[Trip]:
    """File trips also seen in AIS: a file entry's trips of one vessel take, in date order, the
    stored trips of that vessel inside the entry's period (at most one each). The delivery is
    then evidenced twice, so its weight is 1 - (1 - w_file)(1 - w_ais): independent evidence
    of one trip makes it more certain, never less (dropping the AIS evidence would count a
    trip seen in port on a B2 report at 0.64). The trip keeps the file's date and id, and
    gains the shuttle event's id and calls."""
    if not inside:
        return trips
    pool: dict[tuple[str, str], list[Trip]] = {}
    for entry, t in sorted(inside, key=lambda p: p[1].at):
        pool.setdefault((entry, t.vessel), []).append(t)
    out = []
    for t in trips:
        match = pool.get((t.entry, t.vessel))
        if t.source == "file" and match:
            ais = match.pop(0)
            t = replace(t, weight=1 - (1 - t.weight) * (1 - ais.weight),
                        evidence=(*t.evidence, *ais.evidence), calls=ais.calls)
        out.append(t)
    return out


def build_campaign(campaign: Campaign, store: Store | None = None,
                   params: CampaignParams | None = None,
                   source_path: str | None = None) -> CampaignResult:
    """Trips, capacities, volume bands and claim verdicts of `campaign` (module docstring)."""
    params = params or CampaignParams()
    flags: list[str] = []
    trips = file_trips(campaign)
    if store is not None:
        stored, inside = _store_trips(store, campaign, trips, flags)
        trips = corroborate(trips, inside) + stored
    trips.sort(key=lambda t: (t.at, t.trip_id))
    capacities: dict[str, Triangular] = {}
    described: dict[str, dict[str, Any]] = {}
    for v in campaign.vessels:
        cap, origin = vessel_capacity(v, store, params)
        described[v.id] = {"capacity": cap.model_dump() if cap else None,
                           "capacity_from": origin}
        if cap is not None:
            capacities[v.id] = cap
        else:
            flags.append(f"vessel {v.id}: no capacity (state `capacity` in the file, or give "
                         "a store with its length and beam): its trips are left out")
    trips = [t for t in trips if t.vessel in capacities]
    if not capacities:
        raise UnreadableInputError(
            f"{campaign.campaign}: no vessel has a capacity: state one (vessels[i].capacity) "
            "or give a store holding their dimensions")
    load = campaign.load_factor or Triangular(
        low=params.load_low_fraction, mode=params.load_mode_fraction,
        high=params.load_high_fraction, basis="default load factor (CampaignParams)")
    draws = draw_loads(trips, capacities, load, params.samples, params.seed)
    verdicts = [judge_claim(campaign, c, draws, params) for c in campaign.claims]
    ends = [t.at for t in trips] + [day_end(c.by) for c in campaign.claims]
    end = max(ends) if ends else day_end(campaign.start)
    return CampaignResult(campaign, params, trips, described, load,
                          _cumulative(campaign, draws, end), verdicts, flags, source_path)
