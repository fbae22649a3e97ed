"""A vessel the evidence names without an IMO: which listed ship it probably is.

Why: reports often give only a name ("the LADY R"), and many ships share a name, so screening
calls every such hit "possible" and lists it with the rest. The analyst needs the one sentence
the evidence supports: "probably the OFAC-listed LADY R, IMO 9161003 (name only, same type and
flag); confirm the IMO". This module writes it from the screening hits (screen/match.py) of the
evidence's name and of the store's vessels that broadcast that name: a hit is kept when the name
is the same after normalisation and no IMO contradicts it; the flag (from the MMSI's MID) and
AIS ship type of those store vessels are compared with the list's. One listed ship left: it is
"probable" when the flag or the type agrees and neither differs, else "possible" (a name alone
is not enough); several: "ambiguous", all named.
A name-only resolution never makes a vessel `sanctioned`: only the IMO can confirm.
"""

from __future__ import annotations

from typing import Any

from cargotrace.cases.schema import VesselRef
from cargotrace.screen.match import Match

__all__ = ["resolve_name_only"]

SAME_NAME = frozenset({"same", "normalised", "spacing"})  # screen/match.py's exact methods
LIST_LABELS = {"ofac": "OFAC", "un": "UN"}


def _same_name(hit: Match) -> bool:
    name = hit.fields.get("name") or {}
    return name.get("method") in SAME_NAME and hit.fields.get("imo") != "differs"


def _basis(hits: list[Match]) -> tuple[list[str], list[str]]:
    """(what agrees, what differs) about flag and type, over the hits of one listed ship."""
    agree, differ = [], []
    for field, word in (("type", "type"), ("flag", "flag")):
        states = {h.fields.get(field) for h in hits}
        if "differs" in states:
            differ.append(word)
        elif states & {"equal", "fits"}:
            agree.append(word)
    return agree, differ


def resolve_name_only(ref: VesselRef, hits: list[Match]) -> dict[str, Any] | None:
    """The `resolution` of a named vessel with no IMO (None when the evidence gives an IMO, or
    no listed ship has its name)."""
    if ref.imo or not ref.name:
        return None
    same = [h for h in hits if _same_name(h)]
    if not same:
        return None
    ships: dict[str, list[Match]] = {}
    for h in same:
        ships.setdefault(f"imo:{h.imo}" if h.imo else f"{h.list}:{h.entity_id}", []).append(h)
    if len(ships) > 1:
        listed = "; ".join(f"{hs[0].entity_name} (IMO {hs[0].imo or 'unknown'}, "
                           f"{LIST_LABELS.get(hs[0].list, hs[0].list)})" for hs in ships.values())
        return {"status": "ambiguous", "imo": None, "entity_ids": [hs[0].entity_id for hs in
                                                                 ships.values()],
                "basis": ["name only"],
                "message": f"the name matches {len(ships)} listed ships: {listed}; give the IMO"}
    (ship,) = ships.values()
    top = max(ship, key=lambda h: h.score)
    agree, differ = _basis(ship)
    basis = ["name only"]
    if agree:
        basis.append(f"same {' and '.join(agree)}")
    if differ:
        basis.append(f"different {' and '.join(differ)}")
    status = "probable" if agree and not differ else "possible"
    word = "probably" if status == "probable" else "possibly"
    lists = " and ".join(dict.fromkeys(LIST_LABELS.get(h.list, h.list) for h in ship))
    return {"status": status, "imo": top.imo, "entity_ids": [top.entity_id],
            "list": top.list, "program": top.program, "basis": basis,
            "message": f"{word} the {lists}-listed {top.entity_name}, IMO {top.imo or 'unknown'} "
                       f"({', '.join(basis)}); confirm the IMO"}
