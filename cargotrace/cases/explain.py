"""Words for hypotheses and legs: why a leg fits, why an explanation loses, and by how much.

The words are built from the same numbers as the JSON (fit, P10/P50/P90, factors), so a reader
can check every sentence against the data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as dtime

from cargotrace.cases.score import (
    CARRIER_PREFIX,
    CONTRADICT_FIT,
    SUPPORT_FIT,
    Factor,
    HLeg,
    Hypothesis,
)

__all__ = ["day", "explain_hypothesis", "explain_leg", "observed"]


def day(t: datetime, end: bool = False) -> str:
    """'12 Sep' (a window's end at midnight is the end of the day before)."""
    if end and t.time() == dtime(0):
        t = t - timedelta(seconds=1)
    return f"{t:%d %b}".lstrip("0")


def _d(hours: float) -> str:
    return f"{hours / 24:.1f} d"


def _verdict(leg: HLeg) -> str:
    if not leg.feasible:
        return "is impossible in the time allowed"
    if leg.fit >= 0.8:
        return "matches the observed transit"
    if leg.fit >= SUPPORT_FIT:
        return "fits"
    slow = leg.option.time.p50_h > leg.available_h
    if leg.fit >= CONTRADICT_FIT:
        return "is slow for the observed transit" if slow else "leaves a long unexplained wait"
    return "is too slow" if slow else "is far faster than the observed transit"


def observed(leg: HLeg) -> str:
    """'3.0-6.0 d between Najin (7 Sep) and Dunay (12 Sep)'."""
    span = (f"{_d(leg.least_h)}–{_d(leg.available_h)}" if leg.least_h > 0
            else f"at most {_d(leg.available_h)}")
    return (f"{span} between {leg.start.place.name} ({day(leg.start.depart[0])}) and "
            f"{leg.end.place.name} ({day(leg.end.arrive[1], True)})")


def explain_leg(leg: HLeg) -> str:
    t = leg.option.time
    text = (f"{leg.option.summary} {_verdict(leg)}: {observed(leg)} against a route time of "
            f"P10/P50/P90 {_d(t.p10_h)}/{_d(t.p50_h)}/{_d(t.p90_h)} (fit {leg.fit:.2f}, "
            f"P(in time) {leg.p_in_time:.2f})")
    transit = leg.transit
    if transit.third_countries or transit.crossings or transit.within:
        text += f"; {transit.sentence()}"
    if leg.option.chokepoints:
        text += f"; passes {', '.join(leg.option.chokepoints)}"
    if leg.skipped:
        text += f"; does not pass {', '.join(a.place.name for a in leg.skipped)}"
    if leg.vessel and leg.vessel.get("name"):
        v = leg.vessel
        state = {True: "sanctioned", False: "no confirmed listing", None: "not screened"}[
            v.get("sanctioned")]
        if v.get("sanctioned") is False and v.get("sanctions"):
            state += " (a possible name match: see its profile)"
        text += f"; vessel {v['name']} ({v.get('source')}, {state})"
        if v.get("resolution"):
            text += f": {v['resolution']['message']}"
    return text + "."


def _why_lower(h: Hypothesis, best: Hypothesis) -> list[str]:
    """The factors that cost this hypothesis most compared with the best."""
    best_by_kind: dict[tuple[str, tuple[str, ...]], float] = {
        (f.kind, f.evidence): f.value for f in best.factors}
    costs: list[tuple[float, Factor]] = []
    for f in h.factors:
        ref = best_by_kind.get((f.kind, f.evidence), 1.0)
        if f.value < ref:
            costs.append((f.value / ref, f))
    costs.sort(key=lambda c: c[0])
    out = []
    for ratio, f in costs[:3]:
        if f.kind == "time_fit" and f.leg is not None:
            leg = h.legs[f.leg]
            t = leg.option.time
            if t.p50_h > leg.available_h:
                what = "too slow" if leg.fit < SUPPORT_FIT else "slower"
            else:
                what = "a worse match"
            out.append(f"{what} for the {observed(leg)}: P50 {_d(t.p50_h)}, "
                       f"fit {leg.fit:.2f} (x{ratio:.2f})")
        else:
            out.append(f"{f.reason} (x{ratio:.2f})")
    return out


def explain_hypothesis(h: Hypothesis, best: Hypothesis) -> str:
    parts = [f"#{h.rank} {h.title}: score {h.score:.3g}."]
    parts += [explain_leg(leg) for leg in h.legs]
    if h is not best and best.score > 0:
        ratio = best.score / h.score if h.score > 0 else float("inf")
        why = "; ".join(_why_lower(h, best) or ["its factors are each slightly lower"])
        if h.carrier_conflicts > best.carrier_conflicts:
            conflicts = "; ".join(f.reason.removeprefix(CARRIER_PREFIX) for f in h.factors
                                  if f.kind == "carrier_contradicted")
            by_score = (f"{ratio:.1f}x less likely than #{best.rank} by score" if ratio >= 1
                        else f"{1 / ratio:.1f}x as likely as #{best.rank} by score alone")
            parts.append(f"Ranked below every hypothesis that agrees with the carrier the "
                         f"evidence names ({by_score}): {conflicts}.")
        else:
            parts.append(f"{ratio:.1f}x less likely than #{best.rank} given the evidence, "
                         f"because: {why}.")
    return " ".join(parts)
