"""A built case (plus the store, if any) → everything the report shows, as plain values.

Why a separate step from rendering: the HTML template only lays out what this module decided
(which vessels, which events, which hypotheses), so the same content can later feed other
layouts, and the decisions are tested without parsing HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cargotrace.cases.build import CaseResult
from cargotrace.geo import sphere
from cargotrace.publish.case_features import case_features
from cargotrace.publish.features import Feature, FeatureSet, GeomType, Layer, select_events
from cargotrace.publish.params import CaseExportParams, ReportParams, SvgMapParams
from cargotrace.publish.report.evidence import evidence_rows, hypothesis_rows
from cargotrace.publish.report.methods import methods_section
from cargotrace.publish.report.timeline import TimelineItem, render_timeline
from cargotrace.publish.report.times import as_utc, fmt_quantity, fmt_span, fmt_window
from cargotrace.publish.report.vessels import place_names, vessel_sections
from cargotrace.publish.svgmap import render_svg_map
from cargotrace.store.meta import SIMULATED_AIS, read_meta
from cargotrace.store.store import Store

__all__ = ["ReportContent", "report_content"]


@dataclass
class ReportContent:
    title: str
    case_id: str
    generated_at: str
    simulated: bool
    simulated_ais: dict[str, Any] | None
    summary: dict[str, Any]
    map_svg: str
    detail_svg: str
    timeline_svg: str
    hypotheses: list[dict[str, Any]]
    explained: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    vessels: list[dict[str, Any]]
    methods: dict[str, Any]
    case_dict: dict[str, Any]


def _context_places(result: CaseResult, shown: set[str]) -> FeatureSet:
    """Places of evidence that is not a time anchor (a vessel sighting, a claim): still on the
    map, so every place in the evidence table can be found on it."""
    out = FeatureSet()
    for r in result.context:
        p = r.place
        if p is None or p.place_id in shown:
            continue
        shown.add(p.place_id)
        out.features.append(Feature(
            Layer.PLACE, GeomType.POINT, ((p.lon, p.lat),),
            {"place_id": p.place_id, "name": p.name, "evidence": r.item.id}, name=p.name))
    return out


def _detail(features: FeatureSet) -> FeatureSet | None:
    """The candidate vessels' tracks and events (or, without AIS, the sea legs) with the places
    and short legs around them: the part a continental map shrinks to a few pixels."""
    # a possible dark port call is a port the vessel could have reached, not where it was
    focus = [f for f in features.features if f.layer == Layer.TRACK or (
        f.layer == Layer.EVENT and f.properties.get("kind") != "possible_dark_port_call")] or [
        f for f in features.features if f.layer == Layer.ROUTE and f.mode in ("sea", "ferry")
        and f.properties.get("distance_km", 0) < 2000]
    if not focus:
        return None
    # longitudes east of the focus's centre, the short way round: a track across ±180 spans a
    # few degrees, not the whole world
    lon0 = sphere.mean_lon(c[0] for f in focus for c in f.coords)
    lons = [float(sphere.lon_delta(lon0, c[0])) for f in focus for c in f.coords]
    lats = [c[1] for f in focus for c in f.coords]
    pad_lon = max(max(lons) - min(lons), 1.0) * 0.25
    pad_lat = max(max(lats) - min(lats), 1.0) * 0.25
    box = (min(lons) - pad_lon, min(lats) - pad_lat, max(lons) + pad_lon, max(lats) + pad_lat)

    def inside(f: Feature) -> bool:
        return all(box[0] <= float(sphere.lon_delta(lon0, lon)) <= box[2]
                   and box[1] <= lat <= box[3] for lon, lat in f.coords)

    out = FeatureSet(attribution=list(features.attribution))
    out.features = focus + [f for f in features.features if f not in focus and f.coords
                            and f.layer is not Layer.TRACK and inside(f)]
    return out


def _map_params(id_prefix: str) -> SvgMapParams:
    return SvgMapParams(id_prefix=id_prefix, min_height_px=420, legend_outside=True)


def _map(result: CaseResult, store: Store | None,
         params: ReportParams) -> tuple[str, str, list[str]]:
    """The whole case's map and a detail map of the vessels (empty when there is none)."""
    features = case_features(result, store, CaseExportParams(
        max_hypotheses=params.map_hypotheses, vessel_pad_h=params.vessel_pad_h))
    shown = {str(f.properties.get("place_id")) for f in features.features
             if f.layer == Layer.PLACE}
    features.extend(_context_places(result, shown))
    # the legend and tooltips name routes by hypothesis, so the reader can match them to the table
    features.features = [
        replace(f, name=f"#{f.properties['hypothesis_rank']} {f.name or ''}".strip())
        if f.layer == Layer.ROUTE and "hypothesis_rank" in f.properties else f
        for f in features.features]
    if not any(f.coords for f in features.features):
        return "", "", features.attribution  # no evidence has a place: nothing to draw
    # a class for the report's stylesheet and readers' tools (the SVG itself stays standalone)
    svg = render_svg_map(features, _map_params("map-")).replace(
        "<svg ", '<svg class="case-map" ', 1)
    detail = _detail(features)
    detail_svg = "" if detail is None else render_svg_map(detail, _map_params("detail-")).replace(
        "<svg ", '<svg class="detail-map" ', 1)
    return svg, detail_svg, features.attribution


def _case_window(result: CaseResult, pad_h: float = 0.0) -> tuple[datetime, datetime] | None:
    """From the first anchor's start to the last one's end, widened by `pad_h` each side."""
    if not result.anchors:
        return None
    pad = timedelta(hours=pad_h)
    return (min(a.start for a in result.anchors) - pad, max(a.end for a in result.anchors) + pad)


def _timeline(result: CaseResult, case_dict: dict[str, Any], store: Store | None,
              vessels: list[dict[str, Any]], params: ReportParams) -> str:
    items = [TimelineItem(i.id, "Evidence", f"{i.id} · {i.kind.value.replace('_', ' ')}",
                          i.start, i.end, "evidence",
                          f"{i.id}: {i.what} ({fmt_window(i.start, i.end)}; "
                          f"{i.source.publisher}, graded {i.grading})")
             for i in result.case.evidence]
    if case_dict["hypotheses"]:
        best = case_dict["hypotheses"][0]
        for n, leg in enumerate(best["legs"]):
            items.append(TimelineItem(
                f"leg-{n + 1}", f"Best hypothesis (#{best['rank']})",
                f"leg {n + 1}: {leg['mode']} {leg['from']} → {leg['to']}",
                as_utc(leg["depart"]["from"]), as_utc(leg["arrive"]["to"]),
                "leg", f"{leg['route']}: {leg['available_h'] / 24:.1f} d available, route P50 "
                       f"{leg['p50_h'] / 24:.1f} d, P90 {leg['p90_h'] / 24:.1f} d"))
    mmsis = {int(v["mmsi"]): v["title"] for v in vessels if v["in_store"]}
    window = _case_window(result, params.vessel_pad_h)
    if store is not None and mmsis and window is not None:
        since, until = window
        names = place_names(store)
        for e in select_events(store, (), list(mmsis), since, until, overlapping=True):
            if e["kind"] == "sanction_match":
                # a list entry, not something the ship did in that time: drawn as a bar it
                # read as a behaviour spanning the whole window (the profiles show the hits)
                continue
            mmsi = int(e["mmsi"]) if int(e["mmsi"]) in mmsis else int(e["other_mmsi"])
            end = e["end"] or e["start"]
            items.append(TimelineItem(
                str(e["event_id"]), f"AIS events · {mmsis[mmsi]}",
                e["kind"].replace("_", " "), max(e["start"], since), min(end, until),
                e["kind"], f"{e['kind']} {e['event_id']}: {fmt_span(e['start'], e['end'])}"
                           + (f" at {names.get(e['place_id'], e['place_id'])} ({e['place_id']})"
                              if e.get("place_id") else "")))
    return render_timeline(items, params.timeline_pad_d, _case_window(result))


def report_content(case_path: Path, result: CaseResult, store: Store | None,
                   store_path: Path | None, params: ReportParams,
                   out: tuple[Path, str] | None = None) -> ReportContent:
    case_dict = result.to_dict()
    best = case_dict["hypotheses"][0] if case_dict["hypotheses"] else None
    map_svg, detail_svg, map_attribution = _map(result, store, params)
    vessels = vessel_sections(case_dict, store, params, _case_window(result, params.vessel_pad_h))
    lists_loaded = store is not None and bool(
        store.con.execute("SELECT count(*) FROM sanctions_loads").fetchall()[0][0])
    attribution = list(dict.fromkeys([*case_dict["attribution"], *map_attribution]))
    errors = [f for f in case_dict["flags"] if f["level"] == "error"]
    summary = {
        "cargo": result.case.cargo.description,
        "quantity": fmt_quantity(result.case.cargo.quantity),
        "notes": result.case.notes or "",
        "evidence": len(result.case.evidence), "anchors": len(result.anchors),
        "hypotheses": len(case_dict["hypotheses"]), "flags": len(case_dict["flags"]),
        "errors": len(errors), "store": store is not None, "screened": lists_loaded,
        "tracks": store is not None and any(v["in_store"] for v in vessels),
        "best_name": best["title"] if best else None,
        "best_score": f"{best['score']:.3f}" if best else None,
        "best_explanation": best["explanation"] if best else "",
        "runner_up": (f"{case_dict['hypotheses'][1]['title']} "
                      f"({best['score'] / case_dict['hypotheses'][1]['score']:.1f}× less likely)"
                      if best and len(case_dict["hypotheses"]) > 1
                      and case_dict["hypotheses"][1]["score"] > 0 else None),
        "ranking": (f"{case_dict['decisiveness']['verdict']}; against other modes: "
                    f"{case_dict['decisiveness']['verdict_on_modes']}"
                    if case_dict.get("decisiveness") else None),
        "carriers": [f"{c['from']} → {c['to']} by {c['mode']} ({c['carrier']}: "
                     f"{', '.join(c['evidence'])})" for c in case_dict.get("carriers", [])],
        "sanctioned_vessels": sorted({v["title"] for v in vessels
                                      if any(s["match"] == "confirmed" for s in v["sanctions"])}),
    }
    hyps = hypothesis_rows(case_dict, params.table_hypotheses)
    explained = [h for h in hyps if h["rank"] <= params.explained_hypotheses
                 or h["kind"] == "corridor"]
    return ReportContent(
        title=result.case.title, case_id=result.case.case,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        simulated=result.case.simulated or any(i.simulated for i in result.case.evidence),
        simulated_ais=read_meta(store, SIMULATED_AIS) if store is not None else None,
        summary=summary, map_svg=map_svg, detail_svg=detail_svg,
        timeline_svg=_timeline(result, case_dict, store, vessels, params),
        hypotheses=hyps, explained=explained, flags=case_dict["flags"],
        evidence=evidence_rows(result.case.evidence, case_dict), vessels=vessels,
        methods=methods_section(case_path, case_dict, store, store_path, params, attribution,
                                out),
        case_dict=case_dict)
