"""Hypotheses and their scores: a product of explainable factors, each tied to evidence.

The score of a hypothesis is the likelihood of the evidence under it, with every item trusted in
proportion to its grading weight w (params.py): an item is true with probability w, and when it
is false it says nothing (likelihood 1). So:

- a leg between two anchors with time fit f = P(route time <= time allowed) contributes
  1 - w x (1 - f), w being the weaker of its two anchors' weights (an interval is only as sure
  as its less certain end);
- an anchor the hypothesis does not pass (a corridor skipping Dunay) contributes 1 - w;
- an item that shows a mode at a place (a named vessel: by sea; a rail sighting: by rail)
  contributes 1 - w when no leg of the hypothesis reaches or leaves that place by that mode;
- a carrier the evidence names at both ends of a leg (carriers.py) contributes 1 - w when the
  hypothesis has no leg between those anchors by that carrier (and build.py ranks it below every
  hypothesis that agrees).

No learned weights, no hidden priors: every factor is listed with its reason and evidence ids,
and two hypotheses compare by the ratio of their scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

from cargotrace.cases.anchors import Anchor, Resolved
from cargotrace.cases.carriers import NamedCarrier, leg_agrees
from cargotrace.cases.legs import Option
from cargotrace.cases.params import CaseParams
from cargotrace.routes.transit import Transit, transit_of

__all__ = ["Factor", "HLeg", "Hypothesis", "score_hypothesis"]

CARRIER_PREFIX = "contradicts the carrier the evidence names: "
SUPPORT_FIT = 0.5  # a leg whose fit is at least this is supported by its anchors
CONTRADICT_FIT = 0.1  # below this its anchors contradict it


@dataclass(frozen=True)
class Factor:
    kind: str  # time_fit | unexplained_anchor | mode_unexplained | carrier_contradicted
    value: float
    evidence: tuple[str, ...]
    reason: str
    leg: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": round(self.value, 4), "evidence": list(self.evidence),
                "leg": self.leg, "reason": self.reason}


@dataclass
class HLeg:
    """A leg of a hypothesis: from one anchor to a later one, by one option."""

    start: Anchor
    end: Anchor
    option: Option
    skipped: tuple[Anchor, ...]
    available_h: float  # the most time the sightings allow (last at the start, first at the end)
    fit: float  # likelihood of the observed windows, relative to the best achievable (timefit)
    feasible: bool
    least_h: float = 0.0  # the least time they allow
    p_in_time: float = 1.0  # P(route time <= available_h)
    vessel: dict[str, Any] | None = None
    supports: list[str] = field(default_factory=list)
    contradicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def mode(self) -> str:
        return "+".join(self.option.modes) or "road"

    @property
    def weight(self) -> float:
        return min(self.start.weight, self.end.weight)

    @property
    def transit(self) -> Transit:
        """Third countries and crossings between this leg's two anchor places."""
        return transit_of(self.option.legs, self.start.place.country or "",
                          self.end.place.country or "")

    @property
    def title(self) -> str:
        """'rail Dunay → Tikhoretsk via China (Grodekovo–Suifenhe, Zabaykalsk–Manzhouli)'."""
        phrase = self.transit.phrase()
        return (f"{self.mode} {self.start.place.name} → {self.end.place.name}"
                + (f" {phrase}" if phrase else ""))


@dataclass
class Hypothesis:
    name: str
    kind: str  # chain (passes every anchor) | corridor (a named alternative over the span)
    legs: list[HLeg]
    factors: list[Factor] = field(default_factory=list)
    rank: int = 0

    @property
    def score(self) -> float:
        return math.prod(f.value for f in self.factors) if self.factors else 1.0

    @property
    def signature(self) -> tuple[Any, ...]:
        return tuple(s for leg in self.legs for s in leg.option.signature)

    @property
    def carrier_conflicts(self) -> int:
        """How many carriers named by the evidence this hypothesis contradicts."""
        return sum(f.kind == "carrier_contradicted" for f in self.factors)

    @property
    def summary(self) -> str:
        return "; ".join(leg.option.summary for leg in self.legs)

    @property
    def title(self) -> str:
        """The name, with what tells this hypothesis apart: chains of the same legs differ in
        the countries and crossings of their routes, so each leg says them ('... within
        Russia', '... via China (Grodekovo–Suifenhe, Zabaykalsk–Manzhouli)'); a named corridor
        adds the third countries it transits."""
        if self.kind == "chain":
            return "; ".join(leg.title for leg in self.legs)
        third = self.third_countries
        if not third:
            return self.name
        crossings = [c for leg in self.legs for c in leg.transit.third_country_crossings]
        transit = Transit(("", ""), tuple(third), tuple(crossings))
        return f"{self.name}, {transit.phrase('through')}"

    @property
    def third_countries(self) -> list[str]:
        """ISO2 codes of the countries entered that are not those of the legs' anchors, in
        route order."""
        return list(dict.fromkeys(c for leg in self.legs for c in leg.transit.third_countries))

    def transit_dict(self) -> dict[str, Any]:
        return {
            "third_countries": self.third_countries,
            "third_country_names": list(dict.fromkeys(
                n for leg in self.legs for n in leg.transit.third_country_names)),
            "border_crossings": [c.name for leg in self.legs for c in leg.transit.crossings],
            "third_country_crossings": [c.name for leg in self.legs
                                        for c in leg.transit.third_country_crossings],
        }

    @property
    def supports(self) -> list[str]:
        return list(dict.fromkeys(i for leg in self.legs for i in leg.supports))

    @property
    def contradicts(self) -> list[str]:
        return list(dict.fromkeys(i for leg in self.legs for i in leg.contradicts)
                    | dict.fromkeys(i for f in self.factors if f.kind != "time_fit"
                                    for i in f.evidence))


def _window(a: Anchor) -> str:
    last = a.end - timedelta(seconds=1) if a.end.time() == time(0) and a.end > a.start else a.end
    first, to = f"{a.start:%d %b %Y}".lstrip("0"), f"{last:%d %b %Y}".lstrip("0")
    return first if first == to else f"{first}–{to}"


def _days(hours: float) -> str:
    return f"{hours / 24:.1f} days"


def _time_factor(i: int, leg: HLeg) -> Factor:
    t = leg.option.time
    value = 1.0 - leg.weight * (1.0 - leg.fit)
    ids = (*leg.start.ids, *leg.end.ids)
    if leg.fit >= SUPPORT_FIT:
        leg.supports += list(ids)
    elif leg.fit < CONTRADICT_FIT:
        leg.contradicts += list(ids)
    reason = (f"{leg.option.summary}: likelihood of the observed {_days(leg.least_h)} to "
              f"{_days(leg.available_h)} between {leg.start.place.name} and "
              f"{leg.end.place.name}, relative to the best achievable, = {leg.fit:.2f} (route "
              f"P10/P50/P90 {t.p10_h / 24:.1f}/{t.p50_h / 24:.1f}/{t.p90_h / 24:.1f} days, "
              f"P(in time) {leg.p_in_time:.2f}); evidence weight {leg.weight:.2f} -> factor "
              f"1 - {leg.weight:.2f} x (1 - {leg.fit:.2f})")
    return Factor("time_fit", value, ids, reason, i)


def _carrier_factors(h: Hypothesis, carriers: list[NamedCarrier]) -> list[Factor]:
    factors = []
    for c in carriers:
        legs = [(i, leg) for i, leg in enumerate(h.legs) if leg.start is c.start
                and leg.end is c.end]
        agreeing = [i for i, leg in legs if leg_agrees(leg.option.modes, c.mode)]
        for i in agreeing:
            h.legs[i].supports += list(c.evidence)
        if agreeing:
            continue
        where = (f"its leg goes by {legs[0][1].mode}" if legs else
                 f"it has no leg from {c.start.place.name} to {c.end.place.name}")
        at = legs[0][0] if legs else 0
        h.legs[at].contradicts += list(c.evidence)
        factors.append(Factor(
            "carrier_contradicted", 1.0 - c.weight, c.evidence,
            f"{CARRIER_PREFIX}{c.sentence}, but {where}: factor 1 - {c.weight:.2f}", at))
    return factors


def _mode_items(h: Hypothesis, anchors: list[Anchor], context: list[Resolved],
                params: CaseParams, skip: frozenset[str] = frozenset()) -> list[Factor]:
    """Items showing a mode (ship or train) at a place the hypothesis passes."""
    factors: list[Factor] = []
    slack = timedelta(hours=params.vessel_window_slack_h)
    visited: dict[str, tuple[Anchor, set[str], list[int]]] = {}
    for i, leg in enumerate(h.legs):
        for anchor, side in ((leg.start, "start"), (leg.end, "end")):
            entry = visited.setdefault(anchor.place.place_id, (anchor, set(), []))
            mode = leg.option.mode_at(side)
            if mode:
                entry[1].add("sea" if mode == "ferry" else mode)
            entry[2].append(i)
    for anchor, modes, leg_ids in visited.values():
        items = [*anchor.items, *(r for r in context if r.place is not None
                                  and r.place.place_id == anchor.place.place_id
                                  and r.item.start <= anchor.end + slack
                                  and r.item.end >= anchor.start - slack)]
        first, last = anchor is h.legs[0].start, anchor is h.legs[-1].end
        for r in items:
            shown = ("sea" if r.item.vessel is not None
                     else "rail" if r.item.kind == "rail_sighting" else None)
            if shown is None or r.item.id in skip or _beyond(r, anchor, first, last):
                continue
            what = (f"ship {r.item.vessel.label}" if r.item.vessel is not None
                    else "a rail sighting")
            if shown in modes:
                for i in leg_ids:
                    if h.legs[i].option.modes and shown in {
                            "sea" if m == "ferry" else m for m in h.legs[i].option.modes}:
                        h.legs[i].supports.append(r.item.id)
                continue
            for i in leg_ids:
                h.legs[i].contradicts.append(r.item.id)
            factors.append(Factor(
                "mode_unexplained", 1.0 - r.weight, (r.item.id,),
                f"{r.item.id} ({r.item.grading}) shows {what} at {anchor.place.name}, but no leg "
                f"reaches or leaves {anchor.place.name} by {shown}: factor 1 - {r.weight:.2f}",
                leg_ids[0]))
    return factors


def _beyond(r: Resolved, anchor: Anchor, first: bool, last: bool) -> bool:
    """At the chain's last anchor, an item seen after its first sighting may show the cargo
    leaving beyond the chain (and at the first anchor, one before its last sighting arriving
    from before it): such an item neither supports nor contradicts the hypothesis."""
    return ((last and r.item.start > anchor.items[0].item.end)
            or (first and r.item.end < anchor.items[-1].item.start))


def score_hypothesis(h: Hypothesis, anchors: list[Anchor], context: list[Resolved],
                     params: CaseParams, carriers: list[NamedCarrier] | None = None) -> None:
    """Fill h.factors (and each leg's supports/contradicts)."""
    factors: list[Factor] = []
    for i, leg in enumerate(h.legs):
        leg.supports, leg.contradicts = [], []
        factors.append(_time_factor(i, leg))
        for a in leg.skipped:
            leg.contradicts += list(a.ids)
            factors.append(Factor(
                "unexplained_anchor", 1.0 - a.weight, a.ids,
                f"does not pass {a.place.name}, where {a.gradings} place(s) the cargo "
                f"{_window(a)}: factor 1 - {a.weight:.2f}", i))
    carriers = carriers or []
    factors += _carrier_factors(h, carriers)
    skip = frozenset(i for c in carriers for i in c.evidence)
    factors += _mode_items(h, anchors, context, params, skip)
    for leg in h.legs:
        leg.supports = list(dict.fromkeys(leg.supports))
        leg.contradicts = list(dict.fromkeys(leg.contradicts))
    h.factors = factors
