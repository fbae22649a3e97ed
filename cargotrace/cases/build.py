"""`case build`: evidence + routes + the store's events -> ranked, explained hypotheses.

Steps: resolve places (flags for ambiguous/unknown ones), order anchors in time, plan the best
routes for every leg between consecutive anchors (each distinct request once), combine them into
chain hypotheses, add the named corridors over the whole span (params.CORRIDORS), attach vessels
to sea legs (named in the evidence and checked, or inferred from the store's events), score each
hypothesis (score.py) and flag impossible timelines, evidence gaps and unknown vessels. The JSON
of `CaseResult.to_dict()` is a stable contract (docs/concepts/cases.md).
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from cargotrace.cases.anchors import (
    Anchor,
    Flag,
    Resolved,
    build_anchors,
    is_anchor,
    resolve_items,
)
from cargotrace.cases.carriers import NamedCarrier, named_carriers
from cargotrace.cases.explain import day, explain_hypothesis, explain_leg
from cargotrace.cases.legs import Option, Planner, observed_hours, p_in_time
from cargotrace.cases.params import CORRIDORS, CaseParams, Corridor
from cargotrace.cases.ranking import decisiveness
from cargotrace.cases.schema import Case
from cargotrace.cases.score import HLeg, Hypothesis, score_hypothesis
from cargotrace.cases.timefit import time_fit
from cargotrace.cases.vessels import Candidate, NamedCheck, VesselFinder
from cargotrace.routes import RouteNetwork, RouteParams
from cargotrace.routes.output import attribution
from cargotrace.routes.place_book import PlaceBook
from cargotrace.store.store import Store

__all__ = ["CASE_JSON_VERSION", "CaseResult", "build_case"]

logger = logging.getLogger(__name__)

CASE_JSON_VERSION = 1
MAX_CHAINS = 64  # combinations of per-leg routes scored; beyond, best-per-leg plus variations


def _iso(t: datetime | None) -> str | None:
    return t.isoformat().replace("+00:00", "Z") if t is not None else None


@dataclass
class CaseResult:
    case: Case
    anchors: list[Anchor]
    hypotheses: list[Hypothesis]
    flags: list[Flag]
    named: list[NamedCheck]
    unavailable: list[str]
    params: CaseParams
    store_used: bool
    route_requests: int = 0
    elapsed_s: float = 0.0
    context: list[Resolved] = field(default_factory=list)
    carriers: list[NamedCarrier] = field(default_factory=list)

    @property
    def best(self) -> Hypothesis | None:
        return self.hypotheses[0] if self.hypotheses else None

    def _leg(self, leg: HLeg) -> dict[str, Any]:
        t = leg.option.time
        return {
            "from": leg.start.place.name, "to": leg.end.place.name,
            "from_id": leg.start.place.place_id, "to_id": leg.end.place.place_id,
            "mode": leg.mode, "route": leg.option.summary, "corridor": leg.option.corridor,
            "depart": {"from": _iso(leg.start.depart[0]), "to": _iso(leg.start.depart[1])},
            "arrive": {"from": _iso(leg.end.arrive[0]), "to": _iso(leg.end.arrive[1])},
            "available_h": round(leg.available_h, 1), "least_h": round(leg.least_h, 1),
            "p_in_time": round(leg.p_in_time, 4), "p10_h": round(t.p10_h, 1),
            "p50_h": round(t.p50_h, 1), "p90_h": round(t.p90_h, 1),
            "fit": round(leg.fit, 4), "feasible": leg.feasible,
            "distance_km": round(leg.option.distance_km, 1),
            "chokepoints": list(leg.option.chokepoints), "countries": list(leg.option.countries),
            "title": leg.title, "transit": leg.transit.to_dict(),
            "skipped": [i for a in leg.skipped for i in a.ids],
            "vessel": leg.vessel, "supports": leg.supports, "contradicts": leg.contradicts,
            "notes": leg.notes, "explanation": explain_leg(leg),
            "segments": [{"mode": s.mode, "from": s.from_name, "to": s.to_name,
                          "distance_km": round(s.distance_km, 1), **s.time.to_dict()}
                         for s in leg.option.legs],
        }

    def to_dict(self) -> dict[str, Any]:
        best = self.best
        routes = [r for h in self.hypotheses for leg in h.legs for r in leg.option.routes]
        return {
            "case_json_version": CASE_JSON_VERSION,
            "case": self.case.case, "title": self.case.title,
            "cargo": self.case.cargo.model_dump(),
            "anchors": [{"place": a.place.name, "place_id": a.place.place_id,
                         "from": _iso(a.start), "to": _iso(a.end), "evidence": list(a.ids),
                         "weight": round(a.weight, 3)} for a in self.anchors],
            "context": [r.item.id for r in self.context],
            "hypotheses": [{
                "rank": h.rank, "name": h.name, "title": h.title, "kind": h.kind,
                "score": round(h.score, 6), "transit": h.transit_dict(),
                "relative": round(h.score / best.score, 6) if best and best.score else None,
                "summary": h.summary, "legs": [self._leg(leg) for leg in h.legs],
                "factors": [f.to_dict() for f in h.factors],
                "supports": h.supports, "contradicts": h.contradicts,
                "explanation": explain_hypothesis(h, best) if best else "",
            } for h in self.hypotheses],
            "decisiveness": decisiveness(self.hypotheses, self.params.decisive_ratio),
            "carriers": [{"from": c.start.place.name, "to": c.end.place.name, "mode": c.mode,
                          "carrier": c.carrier, "evidence": list(c.evidence),
                          "weight": round(c.weight, 3)} for c in self.carriers],
            "flags": [f.to_dict() for f in self.flags],
            "vessels": [n.to_dict() for n in self.named],
            "unavailable": self.unavailable,
            "store": self.store_used,
            "params": asdict(self.params),
            "attribution": attribution(routes) if routes else [],
            "route_requests": self.route_requests,
        }


class _Builder:
    def __init__(self, case: Case, store: Store | None, params: CaseParams,
                 planner: Planner) -> None:
        self.case, self.store, self.params, self.planner = case, store, params, planner
        self.finder = VesselFinder(store, params)
        self.flags: list[Flag] = []
        self._candidates: dict[tuple[int, int], list[Candidate]] = {}
        self._named: dict[tuple[Any, ...], NamedCheck] = {}
        self._fits: dict[tuple[Any, ...], float] = {}

    def hleg(self, start: Anchor, end: Anchor, option: Option,
             skipped: tuple[Anchor, ...]) -> HLeg:
        least, most = observed_hours(start.depart, end.arrive)
        key = (option.time, least, most)  # the fit depends on nothing else
        if key not in self._fits:
            self._fits[key] = time_fit(option.time, least, most, self.params.wait_mean_h)
        in_time = p_in_time(option.time, most)
        return HLeg(start, end, option, skipped, most, self._fits[key],
                    in_time >= self.params.infeasible_below_p, least, in_time)

    def named(self, resolved: list[Resolved]) -> list[NamedCheck]:
        for r in resolved:
            ref = r.item.vessel
            if ref is None:
                continue
            key = (ref.name and ref.name.upper(), ref.imo, ref.mmsi)
            old = self._named.get(key)
            ids = (*(old.evidence if old else ()), r.item.id)
            self._named[key] = (NamedCheck(old.ref, ids, old.mmsis, old.hits, old.screened,
                                           old.store_hits)
                                if old else self.finder.check_named(ref, ids))
        for check in self._named.values():
            if self.store is not None and not check.mmsis:
                self.flags.append(Flag(
                    "vessel_not_in_store", f"{check.ref.label}, named by "
                    f"{', '.join(check.evidence)}, has no AIS in the store", check.evidence,
                    "info"))
        return list(self._named.values())

    def attach_vessel(self, leg: HLeg, index: tuple[int, int], resolved: list[Resolved]) -> None:
        legs = leg.option.legs
        if not legs or "sea" not in leg.option.modes:
            return
        if any(s.mode not in ("sea", "ferry") for s in legs):
            leg.notes.append("the sea part is not anchored at both ends: no candidate vessels")
            return
        slack = timedelta(hours=self.params.vessel_window_slack_h)
        ends = {leg.start.place.place_id, leg.end.place.place_id}
        named = [r for r in resolved if r.item.vessel is not None and r.place is not None
                 and r.place.place_id in ends and r.item.start <= leg.end.arrive[1] + slack
                 and r.item.end >= leg.start.depart[0] - slack]
        if index not in self._candidates:
            self._candidates[index] = self.finder.candidates(
                leg.start.place, leg.start.depart, leg.end.place, leg.end.arrive)
        cands = [c.to_dict() for c in self._candidates[index]]
        if named:
            ref = named[0].item.vessel
            assert ref is not None
            check = self._named[(ref.name and ref.name.upper(), ref.imo, ref.mmsi)]
            leg.vessel = {"name": ref.name, "imo": ref.imo, "mmsi": ref.mmsi,
                          "sanctioned": check.sanctioned, "source": "evidence",
                          "evidence": [r.item.id for r in named],
                          "in_store_mmsis": check.mmsis, "resolution": check.resolution,
                          "sanctions": check.to_dict()["sanctions"], "candidates": cands}
        elif cands:
            top = cands[0]
            leg.vessel = {"name": top["name"], "imo": top["imo"], "mmsi": top["mmsi"],
                          "sanctioned": top["sanctioned"], "source": "store", "evidence": [],
                          "in_store_mmsis": [top["mmsi"]], "resolution": None,
                          "sanctions": top["sanctions"], "candidates": cands}

    def chains(self, anchors: list[Anchor],
               carriers: list[NamedCarrier] | None = None) -> list[Hypothesis]:
        per_leg: list[list[HLeg]] = []
        trucks = {(id(c.start), id(c.end)) for c in carriers or [] if c.mode == "road"}
        for a, b in itertools.pairwise(anchors):
            options, why = self.planner.leg_options(a.place, b.place,
                                                    self.params.alternatives_per_leg,
                                                    road=(id(a), id(b)) in trucks)
            if not options:
                self.flags.append(Flag("no_route", f"{a.place.name} → {b.place.name}: {why}",
                                       (*a.ids, *b.ids), "error"))
                return []
            legs = [self.hleg(a, b, o, ()) for o in options]
            per_leg.append(legs)
            if not any(leg.feasible for leg in legs):
                fastest = min(legs, key=lambda leg: leg.option.time.quantile(0.01))
                t = fastest.option.time
                self.flags.append(Flag(
                    "infeasible_timeline",
                    f"{a.place.name} ({day(a.depart[0])}) → {b.place.name} "
                    f"({day(b.arrive[1], True)}): "
                    f"{fastest.available_h / 24:.1f} days allowed, but the fastest "
                    f"route ({fastest.option.summary}) needs at least {t.quantile(0.01) / 24:.1f} "
                    f"days (P01; P50 {t.p50_h / 24:.1f})", (*a.ids, *b.ids), "error"))
        combos = list(itertools.islice(itertools.product(*per_leg), MAX_CHAINS))
        return [Hypothesis("; ".join(f"{leg.mode} {leg.start.place.name} → {leg.end.place.name}"
                                     for leg in combo), "chain",
                           [replace(leg, supports=[], contradicts=[], notes=[], vessel=None)
                            for leg in combo])
                for combo in combos]

    def corridors(self, anchors: list[Anchor], corridors: tuple[Corridor, ...],
                  unavailable: list[str]) -> list[Hypothesis]:
        a, b = anchors[0], anchors[-1]
        out = []
        for corridor in corridors:
            option = self.planner.corridor(a.place, b.place, corridor)
            if isinstance(option, str):
                unavailable.append(option)
                continue
            out.append(Hypothesis(corridor.name, "corridor",
                                  [self.hleg(a, b, option, tuple(anchors[1:-1]))]))
        return out


def build_case(case: Case, store: Store | None = None, *, params: CaseParams | None = None,
               route_params: RouteParams | None = None, network: RouteNetwork | None = None,
               corridors: tuple[Corridor, ...] = CORRIDORS,
               planner: Planner | None = None) -> CaseResult:
    """Ranked, explained shipment hypotheses for a validated case (see the module doc).

    `planner` may be shared by builds over the same places to plan each route only once.
    """
    started = time.perf_counter()
    params = params or CaseParams()
    book = PlaceBook.from_store(store) if store is not None else PlaceBook.curated()
    resolved, place_flags = resolve_items(case, book)
    anchors = build_anchors(resolved, params)
    context = [r for r in resolved if r.place is None or not is_anchor(r, params)]
    carriers = named_carriers(anchors, context, params.vessel_window_slack_h)
    b = _Builder(case, store, params, planner or Planner(book, route_params, network))
    b.flags += place_flags
    named = b.named(resolved)
    unavailable: list[str] = []
    hypotheses: list[Hypothesis] = []
    if len(anchors) < 2:
        b.flags.append(Flag(
            "evidence_gap", f"{len(anchors)} place(s) with a dated sighting: at least two are "
            "needed to reconstruct a leg", tuple(i for a in anchors for i in a.ids), "error"))
    else:
        hypotheses = b.chains(anchors, carriers) + b.corridors(anchors, corridors, unavailable)
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for h in hypotheses:
        if h.signature not in seen:
            seen.add(h.signature)
            unique.append(h)
    index = {id(a): i for i, a in enumerate(anchors)}
    for h in unique:
        for leg in h.legs:
            b.attach_vessel(leg, (index[id(leg.start)], index[id(leg.end)]), resolved)
        score_hypothesis(h, anchors, context, params, carriers)
    # a hypothesis contradicting a carrier the evidence names ranks below every one that agrees
    unique.sort(key=lambda h: (h.carrier_conflicts, -h.score,
                               sum(len(leg.skipped) for leg in h.legs),
                               sum(leg.option.time.p50_h for leg in h.legs)))
    for rank, h in enumerate(unique, 1):
        h.rank = rank
    if unique:
        _best_flags(unique[0], b.flags, params, store is not None)
    elapsed = time.perf_counter() - started
    logger.info("case %s: %d anchors, %d hypotheses, %d flags, %d route requests, %.1f s",
                case.case, len(anchors), len(unique), len(b.flags), b.planner.calls, elapsed)
    return CaseResult(case, anchors, unique, b.flags, named, unavailable, params,
                      store is not None, b.planner.calls, elapsed, context, carriers)


def _best_flags(best: Hypothesis, flags: list[Flag], params: CaseParams,
                with_store: bool) -> None:
    for leg in best.legs:
        ids = (*leg.start.ids, *leg.end.ids)
        spare = leg.available_h - leg.option.time.p90_h
        if spare > params.evidence_gap_h:
            flags.append(Flag(
                "evidence_gap", f"{leg.start.place.name} → {leg.end.place.name}: "
                f"{spare / 24:.1f} days more than the route's P90 are unaccounted for; the cargo "
                "may have waited, or been elsewhere", ids))
        if "sea" in leg.option.modes and not (leg.vessel and leg.vessel.get("name")):
            why = ("no vessel is named in the evidence or found in the store's events"
                   if with_store else "no vessel is named in the evidence; give --store to look "
                   "for candidates in the AIS events")
            flags.append(Flag("unknown_vessel", f"{leg.option.summary}: {why}", ids, "info"))
