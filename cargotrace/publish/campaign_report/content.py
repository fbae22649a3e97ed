"""A built campaign (plus the store, if any) -> everything the campaign report shows, as plain
values: the summary, the cumulative-volume charts, the trip timeline and table, the claims and
their verdicts in words, the capacities, the evidence and the methods.

Why separate from rendering (as for case reports): the template only lays out what this module
decided, and the decisions are tested without parsing HTML. Untrusted text (titles, statements,
sources) is bounded here and escaped by the template's autoescaping.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cargotrace.cases.campaign.build import CampaignResult
from cargotrace.provenance import file_sha256
from cargotrace.publish.campaign_report.chart import bounded, render_volume_chart, series_points
from cargotrace.publish.campaign_report.trips import trip_rows, trips_timeline
from cargotrace.publish.features import file_name
from cargotrace.publish.params import CampaignReportParams
from cargotrace.publish.report.evidence import grading_text
from cargotrace.publish.report.methods import params_items, software_versions, store_inputs
from cargotrace.publish.report.times import fmt_quantity, fmt_window
from cargotrace.store.meta import SIMULATED_AIS, read_meta
from cargotrace.store.store import Store

__all__ = ["CampaignReportContent", "campaign_report_content"]

VERDICT_WORDS = {"consistent": "consistent with the evidenced trips",
                 "needs_unseen_trips": "needs trips nobody has shown",
                 "inconsistent": "inconsistent with the listed ships and corridors"}


@dataclass
class CampaignReportContent:
    title: str
    campaign_id: str
    generated_at: str
    simulated: bool
    simulated_ais: dict[str, Any] | None
    summary: dict[str, Any]
    charts: list[dict[str, str]]
    timeline_svg: str
    trips: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    vessels: list[dict[str, Any]]
    corridors: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    flags: list[str]
    methods: dict[str, Any]


def _link(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _source(src: dict[str, Any], limit: int) -> dict[str, Any]:
    return {"title": bounded(src.get("title"), limit), "publisher": bounded(
        src.get("publisher"), 200), "date": src.get("date") or "",
            "url": bounded(src.get("url"), 500), "link": _link(src.get("url"))}


def _charts(result: CampaignResult, doc: dict[str, Any],
            numbered: list[tuple[int, dict[str, Any]]],
            params: CampaignReportParams) -> list[dict[str, str]]:
    """The total's chart, then one per corridor when trips use several; a claim about one
    corridor is drawn on that corridor's chart (on the total's when there is none)."""
    tol = result.params.about_tolerance_fraction
    unit = result.campaign.unit
    per = sorted(doc["cumulative"][-1].get("corridors", {})) if doc["cumulative"] else []
    total_claims = [(n, c) for n, c in numbered if c["corridor"] is None or c["corridor"]
                    not in per]
    charts = [{"id": "chart-total", "title": f"All corridors: cumulative {unit}",
               "svg": render_volume_chart(series_points(doc["cumulative"], result.campaign.start),
                                          total_claims, unit, f"All corridors: cumulative {unit}",
                                          "chart-total", tol)}]
    for k in per[:params.max_corridor_charts]:
        title = f"Corridor {k}: cumulative {unit}"
        charts.append({"id": f"chart-{k}", "title": title, "svg": render_volume_chart(
            series_points(doc["cumulative"], result.campaign.start, k),
            [(n, c) for n, c in numbered if c["corridor"] == k], unit, title, f"chart-{k}",
            tol)})
    return charts


def _claims(doc: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    out = []
    for n, c in enumerate(doc["claims"], start=1):
        ev, load = c["evidenced_volume"], c["trip_load"]
        out.append({
            "n": n, "id": c["claim"], "verdict": c["verdict"],
            "verdict_words": VERDICT_WORDS.get(c["verdict"], c["verdict"]),
            "claimed": f"{c['qualifier'].replace('_', ' ')} {c['quantity']:,.0f}",
            "by": c["by"], "since": c["since"] or "", "corridor": c["corridor"] or "all",
            "statement": bounded(c["statement"], limit), "grading": c["grading"],
            "grading_text": grading_text(c["grading"]), "source": _source(c["source"], limit),
            "trips": c["evidenced_trips"],
            "evidenced": f"{ev['p10']:,.0f}–{ev['p90']:,.0f} (median {ev['p50']:,.0f})",
            "p_reaches": f"{c['p_reaches']:.0%}", "trip_load": f"{load['p50']:,.0f}",
            "needed": c["needed_trips"], "unseen": c["unseen_trips"],
            "feasible": "" if c["max_feasible_trips"] is None else c["max_feasible_trips"],
            "explanation": bounded(c["explanation"], 4 * limit),
        })
    return out


def _evidence(result: CampaignResult, limit: int) -> list[dict[str, Any]]:
    used: dict[str, list[str]] = {}
    for entry in result.campaign.trips:
        for e in entry.evidence:
            used.setdefault(e, []).append(entry.id)
    rows = []
    for item in result.campaign.evidence:
        src = item.source.model_dump(mode="json")
        rows.append({"id": item.id, "kind": item.kind.value.replace("_", " "),
                     "when": fmt_window(item.start, item.end),
                     "place": bounded(item.place_label, 200), "what": bounded(item.what, limit),
                     "quantity": fmt_quantity(item.quantity), "grading": item.grading,
                     "grading_text": grading_text(item.grading),
                     "source": _source(src, limit), "simulated": item.simulated,
                     "used_by": ", ".join(used.get(item.id, [])) or "—"})
    return rows


def campaign_report_content(campaign_path: Path, result: CampaignResult, store: Store | None,
                            store_path: Path | None, params: CampaignReportParams,
                            out: tuple[Path, str] | None = None) -> CampaignReportContent:
    doc = result.to_dict()
    c = result.campaign
    limit = params.max_text_chars
    labels = {v.id: bounded(v.name or v.id, 80) for v in c.vessels}
    numbered = list(enumerate(doc["claims"], start=1))
    verdicts = [cl["verdict"] for cl in doc["claims"]]
    last = doc["cumulative"][-1] if doc["cumulative"] else None
    summary = {
        "unit": c.unit, "start": c.start.isoformat(), "notes": bounded(c.notes, 4 * limit),
        "vessels": len(c.vessels), "corridors": len(c.corridors),
        "trips": len(result.trips),
        "trips_file": sum(1 for t in result.trips if t.source == "file"),
        "trips_ais": sum(1 for t in result.trips if t.source == "ais"),
        "claims": len(verdicts),
        "verdicts": {v: verdicts.count(v) for v in VERDICT_WORDS if v in verdicts},
        "last": None if last is None else {
            "date": last["date"], "p10": f"{last['total']['p10']:,.0f}",
            "p50": f"{last['total']['p50']:,.0f}", "p90": f"{last['total']['p90']:,.0f}"},
        "store": store is not None, "samples": result.params.samples,
        "seed": result.params.seed,
    }
    vessels = [{"id": v["id"], "name": bounded(v["name"], 80) if v["name"] else "",
                "imo": v["imo"] or "", "mmsi": v["mmsi"] or "",
                "capacity": v.get("capacity"), "capacity_from": v.get("capacity_from"),
                "basis": bounded((v.get("capacity") or {}).get("basis"), limit),
                "trips": sum(1 for t in result.trips if t.vessel == v["id"])}
               for v in doc["vessels"]]
    corridors = [{**k, "trips": sum(1 for t in result.trips if t.corridor == k["id"]),
                  "basis": bounded(c.corridor(k["id"]).basis, limit)}
                 for k in doc["corridors"]]
    command = f"cargotrace campaign report {file_name(campaign_path)}"
    if store_path is not None:
        command += f" --store {file_name(store_path)}"
    if out is not None:
        command += (f" --out {file_name(out[0])}"
                    + (f" --format {out[1]}" if out[1] != "html" else ""))
    methods = {
        "campaign_file": file_name(campaign_path),
        "campaign_sha256": file_sha256(campaign_path) if campaign_path.is_file() else "",
        "store": file_name(store_path), "command": command,
        "campaign_params": params_items(asdict(result.params)),
        "report_params": params_items(asdict(params)),
        "load_factor": doc["load_factor"], "pipeline": doc["provenance"]["pipeline_version"],
        "versions": software_versions(),
        "inputs": store_inputs(store) if store is not None else None,
    }
    return CampaignReportContent(
        title=bounded(c.title, 300), campaign_id=c.campaign,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        simulated=c.simulated or any(i.simulated for i in c.evidence),
        simulated_ais=read_meta(store, SIMULATED_AIS) if store is not None else None,
        summary=summary, charts=_charts(result, doc, numbered, params),
        timeline_svg=trips_timeline(result, labels), trips=trip_rows(result, labels),
        claims=_claims(doc, limit), vessels=vessels, corridors=corridors,
        evidence=_evidence(result, limit), flags=[bounded(f, limit) for f in result.flags],
        methods=methods)
