"""A built campaign as map features, for `cargotrace export --campaign`: each corridor as a line
between its two ends, and each trip's calls as points (the departure and arrival calls of a
stored shuttle event, where AIS put them; a trip the file's evidence counts as its arrival at
the corridor's destination on the date it is counted).

Why straight corridor lines: a corridor is a pair of places the flow joins, not a sailed route
(the `note` says so); the calls carry the dates, how each was evidenced and the trip's weight,
so a GIS user can filter and count them against the report.
"""

from __future__ import annotations

from typing import Any

from cargotrace.cases.campaign.build import CampaignResult
from cargotrace.errors import CargotraceError
from cargotrace.publish.features import Feature, FeatureSet, GeomType, Layer
from cargotrace.publish.report.times import as_utc
from cargotrace.routes.place_book import PlaceBook
from cargotrace.store.places import Place
from cargotrace.store.store import Store

__all__ = ["campaign_features"]

LINE_NOTE = "straight line between the corridor's ends, not the route sailed"


def _call(result: CampaignResult, place: Place, props: dict[str, Any],
          start: Any, end: Any) -> Feature:
    return Feature(Layer.PLACE, GeomType.POINT, ((place.lon, place.lat),),
                   {"campaign": result.campaign.campaign, "place_id": place.place_id,
                    "name": place.name, **props},
                   name=f"{props['vessel']} {props['call']} {place.name}",
                   start=as_utc(start), end=as_utc(end) if end else None)


def campaign_features(result: CampaignResult, store: Store | None = None) -> FeatureSet:
    """Corridors (lines) and calls (points) of `result`; places resolved as the campaign file's
    are (the store's places, else the curated gazetteer). An end that does not resolve leaves
    its corridor and calls out (the build has flagged it)."""
    book = PlaceBook.from_store(store) if store is not None else PlaceBook.curated()
    ids = book.by_id
    ends: dict[str, tuple[Place, Place]] = {}
    out = FeatureSet(title=f"cargotrace campaign {result.campaign.campaign}")
    for k in result.campaign.corridors:
        try:
            a, b = book.resolve(k.origin), book.resolve(k.destination)
        except CargotraceError:
            continue
        ends[k.id] = (a, b)
        out.features.append(Feature(
            Layer.ROUTE, GeomType.LINE, ((a.lon, a.lat), (b.lon, b.lat)),
            {"campaign": result.campaign.campaign, "corridor": k.id, "mode": k.mode,
             "from": a.name, "to": b.name, "from_id": a.place_id, "to_id": b.place_id,
             "vessels": list(k.vessels), "min_round_trip_d": k.min_round_trip_d,
             "trips": sum(1 for t in result.trips if t.corridor == k.id), "note": LINE_NOTE},
            name=f"{k.id}: {a.name} → {b.name}"))
    for t in result.trips:
        base = {"trip_id": t.trip_id, "vessel": t.vessel, "corridor": t.corridor,
                "weight": round(t.weight, 3), "evidence": ", ".join(t.evidence)}
        if not t.calls:
            if t.corridor in ends:
                out.features.append(_call(result, ends[t.corridor][1], {
                    **base, "call": "arrival", "how": "file", "observed": False}, t.at, None))
            continue
        for n, c in enumerate(t.calls):
            place = next((ids[p] for p in c.get("place_ids") or [] if p in ids), None)
            if place is None:
                continue
            out.features.append(_call(result, place, {
                **base, "call": "departure" if n == 0 else "arrival", "how": c.get("how"),
                "observed": bool(c.get("observed"))}, c["start"], c.get("end")))
    return out
