"""A built case → map features: its anchors, the routes of its best hypotheses, and the AIS
tracks and events of the vessels attached to their legs.

Why separate from `features.py`: it is the only module of publish/ that knows the cases layer,
so exports of events and vessels keep working (and importing) without it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from cargotrace.publish.features import (
    Feature,
    FeatureSet,
    GeomType,
    Layer,
    event_features,
    route_features,
    select_events,
    select_positions,
    track_features,
)
from cargotrace.publish.params import CaseExportParams, ExportParams
from cargotrace.store.store import Store

__all__ = ["case_features"]


def case_features(result: Any, store: Store | None = None,
                  params: CaseExportParams | None = None,
                  export: ExportParams | None = None) -> FeatureSet:
    """Features of a `cargotrace.cases.CaseResult` (anchors as places; route legs carry
    `hypothesis_rank`, `hypothesis` and `hypothesis_score`; tracks and events only with a
    store)."""
    params = params or CaseExportParams()
    case = result.case
    out = FeatureSet(title=f"cargotrace case {case.case}: {case.title}")
    for anchor in result.anchors:
        p = anchor.place
        props = {"place_id": p.place_id, "name": p.name, "country": p.country, "kind": p.kind,
                 "evidence": ",".join(anchor.ids), "weight": round(anchor.weight, 3),
                 "start": anchor.start, "end": anchor.end, "source": p.source}
        out.features.append(Feature(Layer.PLACE, GeomType.POINT, ((p.lon, p.lat),), props,
                                    name=p.name, start=anchor.start, end=anchor.end))
    top = result.hypotheses[:params.max_hypotheses]
    for h in top:
        legs = route_features([r for leg in h.legs for r in leg.option.routes])
        extra = {"hypothesis_rank": h.rank, "hypothesis": h.title,
                 "hypothesis_score": round(h.score, 6)}
        out.extend(FeatureSet([replace(f, properties={**extra, **f.properties})
                               for f in legs.features], legs.attribution))
    mmsis = sorted({int(m) for h in top for leg in h.legs if leg.vessel
                    for m in leg.vessel.get("in_store_mmsis") or []})
    if store is not None and mmsis and result.anchors:
        pad = timedelta(hours=params.vessel_pad_h)
        since = min(a.start for a in result.anchors) - pad
        until = max(a.end for a in result.anchors) + pad
        names = dict(store.con.execute(
            "SELECT mmsi, arg_max(name, ts) FROM vessel_reports WHERE list_contains(?, mmsi) "
            "AND name IS NOT NULL GROUP BY mmsi", [mmsis]).fetchall())
        out.extend(track_features(select_positions(store, mmsis, since, until), export, names))
        out.extend(event_features(select_events(store, (), mmsis, since, until,
                                                overlapping=True)))
    return out
