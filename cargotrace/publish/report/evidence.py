"""The case's evidence and hypotheses as report rows: what each item says, who said it, how it
is graded, and what the ranking made of it.

Why every item, even unused ones: a reader checking a published finding needs to see the
evidence that did not fit as plainly as the evidence that did (an item no hypothesis used is
listed with the flag that explains why).
"""

from __future__ import annotations

from typing import Any

from cargotrace.cases.params import CREDIBILITY_WEIGHTS, RELIABILITY_WEIGHTS, grading_weight
from cargotrace.cases.schema import EvidenceItem
from cargotrace.publish.report.times import fmt_quantity, fmt_window

__all__ = ["CREDIBILITY", "RELIABILITY", "evidence_rows", "grading_text", "hypothesis_rows"]

RELIABILITY = {"A": "completely reliable", "B": "usually reliable", "C": "fairly reliable",
               "D": "not usually reliable", "E": "unreliable",
               "F": "reliability cannot be judged"}
CREDIBILITY = {"1": "confirmed by other sources", "2": "probably true", "3": "possibly true",
               "4": "doubtful", "5": "improbable", "6": "truth cannot be judged"}
assert RELIABILITY.keys() == RELIABILITY_WEIGHTS.keys()
assert CREDIBILITY.keys() == CREDIBILITY_WEIGHTS.keys()


def grading_text(code: str) -> str:
    return (f"{code}: source {RELIABILITY.get(code[:1], '?')}, information "
            f"{CREDIBILITY.get(code[1:2], '?')} (weight {grading_weight(code):.2f})")


def _role(item: EvidenceItem, anchor_of: dict[str, str], context: set[str],
          flagged: dict[str, list[str]]) -> str:
    if item.id in anchor_of:
        return f"anchor at {anchor_of[item.id]}"
    if item.id in context:
        return "context (names a vessel or fact, no time anchor)"
    why = "; ".join(flagged.get(item.id, []))
    return f"not used: {why}" if why else "not used by any hypothesis"


def evidence_rows(items: list[EvidenceItem], case_dict: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per evidence item, in file order, with the hypotheses it supports or contradicts
    (by rank)."""
    anchor_of = {i: a["place"] for a in case_dict["anchors"] for i in a["evidence"]}
    flagged: dict[str, list[str]] = {}
    for flag in case_dict["flags"]:
        for i in flag.get("evidence") or []:
            flagged.setdefault(i, []).append(flag["message"])
    supports: dict[str, list[int]] = {}
    contradicts: dict[str, list[int]] = {}
    for h in case_dict["hypotheses"]:
        for i in h["supports"]:
            supports.setdefault(i, []).append(h["rank"])
        for i in h["contradicts"]:
            contradicts.setdefault(i, []).append(h["rank"])
    rows = []
    for item in items:
        src = item.source
        rows.append({
            "id": item.id, "kind": item.kind.value.replace("_", " "),
            "when": fmt_window(item.start, item.end), "place": item.place_label or "",
            "what": item.what, "vessel": item.vessel.label if item.vessel else "",
            "quantity": fmt_quantity(item.quantity),
            "grading": item.grading, "grading_text": grading_text(item.grading),
            "source_title": src.title, "source_publisher": src.publisher,
            "source_date": src.date.isoformat(), "source_url": src.url,
            "source_link": src.url if src.url and src.url.lower().startswith(
                ("http://", "https://")) else None,
            "simulated": item.simulated,
            "role": _role(item, anchor_of, set(case_dict["context"]), flagged),
            "supports": _ranks(supports.get(item.id, [])),
            "contradicts": _ranks(contradicts.get(item.id, [])),
        })
    return rows


def _ranks(ranks: list[int], shown: int = 6) -> str:
    ranks = sorted(set(ranks))
    text = ", ".join(f"#{r}" for r in ranks[:shown])
    return text + (f" (+{len(ranks) - shown})" if len(ranks) > shown else "")


def _days(hours: float) -> str:
    return f"{hours / 24:.1f} d"


def _vessel(leg: dict[str, Any]) -> str:
    v = leg.get("vessel") or {}
    if not v.get("name") and not v.get("imo"):
        return ""
    label = v.get("name") or f"IMO {v['imo']}"
    if v.get("imo") and v.get("name"):
        label += f" (IMO {v['imo']})"
    if v.get("sanctioned"):
        label += " · sanctioned"
    label += (" · from the evidence" if v.get("source") == "evidence" else
              " · from AIS in the store")
    if v.get("resolution"):  # a name without an IMO: which listed ship it probably is
        label += f" · {v['resolution']['message']}"
    return label


def hypothesis_rows(case_dict: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """The ranking table: the best `limit`, plus every named corridor (the alternatives a
    reader asks about) even when it ranks lower."""
    hyps = case_dict["hypotheses"]
    best = hyps[0]["score"] if hyps else 0.0
    shown = [h for h in hyps if h["rank"] <= limit or h["kind"] == "corridor"]
    rows = []
    for h in shown:
        rows.append({
            "rank": h["rank"], "name": h["name"], "title": h["title"], "kind": h["kind"],
            "summary": h["summary"], "transit": h["transit"],
            "score": f"{h['score']:.3f}",
            "times_less_likely": (f"{best / h['score']:.1f}×" if h["score"] > 0 else "∞")
            if h["rank"] > 1 else "best",
            "legs": [{
                "route": leg["route"], "mode": leg["mode"],
                "p50": _days(leg["p50_h"]), "p90": _days(leg["p90_h"]),
                "available": (f"{_days(leg['least_h'])}–{_days(leg['available_h'])}"
                              if leg.get("least_h") else _days(leg["available_h"])),
                "fit": f"{leg['fit']:.2f}",
                "feasible": leg["feasible"], "vessel": _vessel(leg),
                "distance_km": f"{leg['distance_km']:,.0f}",
            } for leg in h["legs"]],
            "supports": ", ".join(h["supports"]), "contradicts": ", ".join(h["contradicts"]),
            "explanation": h["explanation"],
        })
    return rows
