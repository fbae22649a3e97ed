"""Vessel profiles for the report: the vessels named in the evidence and the candidates the
store attached to the best hypotheses' sea legs, each with identities, sanctions hits (and why
they matched), linked owners, the advisory's practices and the latest events.

Why both kinds: a named vessel is the claim, a candidate is what the AIS data offers; a reader
needs to see whether they are the same ship.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cargotrace.publish.params import ReportParams
from cargotrace.publish.report.times import as_utc, fmt_span
from cargotrace.screen.profile import vessel_profile
from cargotrace.store.store import Store

__all__ = ["event_rows", "place_names", "vessel_sections"]


def _subjects(case_dict: dict[str, Any], params: ReportParams) -> list[tuple[int, str]]:
    """(mmsi, why shown), named vessels first, then candidates of the shown hypotheses."""
    out: dict[int, str] = {}
    for named in case_dict["vessels"]:
        for mmsi in named.get("in_store_mmsis") or []:
            out.setdefault(int(mmsi), f"named by {', '.join(named['evidence'])}")
    for h in case_dict["hypotheses"][:params.map_hypotheses]:
        for leg in h["legs"]:
            for cand in (leg.get("vessel") or {}).get("candidates") or []:
                out.setdefault(int(cand["mmsi"]),
                               f"candidate for {leg['route']} (hypothesis #{h['rank']})")
    return list(out.items())[:params.max_vessels]


def _blind(practice: dict[str, Any]) -> str:
    """Which needed kinds could not find any event, and the short reason (the run's `blocked`
    note up to its first colon, e.g. "capture too short"): a reader of "partly detectable"
    needs to know what was not looked at. Empty when every kind could look."""
    blind = practice.get("undetectable") or {}
    if not blind or practice["event_ids"]:
        return ""
    why = sorted({note.split(":")[0] for notes in blind.values() for note in notes})
    looked = practice.get("looked") or []
    return ("; ".join([f"not seen by {', '.join(looked)}"] * bool(looked)
                      + [f"{', '.join(blind)} could not be detected ({'; '.join(why)})"]))


def _identity_rows(profile: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for ident in profile["identities"]:
        for field_name, label in (("names", "name"), ("imos", "IMO"), ("callsigns", "call sign"),
                                  ("flags", "flag"), ("ship_types", "ship type")):
            for value in ident.get(field_name) or []:
                rows.append({"field": label, "value": str(value["value"]),
                             "when": fmt_span(value.get("first_ts"), value.get("last_ts")),
                             "reports": str(value.get("reports", ""))})
    return rows


def place_names(store: Store) -> dict[str, str]:
    """place_id -> name for every place in the store (a reader knows 'Najin', not 'ct:najin')."""
    return dict(store.con.execute("SELECT place_id, name FROM places").fetchall())


def event_rows(profile: dict[str, Any], limit: int,
               window: tuple[datetime, datetime] | None,
               names: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The events during the case first (a vessel's latest events may be months later), then
    the latest others, up to `limit`. `place` names the places (`names`: place_id -> name; an
    id without a name is shown as is), `place_ids` keeps their ids for `cargotrace places`."""
    def during(e: dict[str, Any]) -> bool:
        if window is None:
            return False
        start = as_utc(e["start"])
        end = as_utc(e["end"]) if e.get("end") else None
        return start < window[1] and (end is None or end >= window[0])

    events = sorted(profile["events"], key=lambda e: str(e["start"]), reverse=True)
    events = sorted(events, key=lambda e: not during(e))[:limit]
    names = names or {}
    return [{"kind": e["kind"].replace("_", " "), "when": fmt_span(e["start"], e["end"]),
             "place": _places(e, names), "place_ids": _places(e, {}),
             "during": "yes" if during(e) else "",
             "confidence": "" if e.get("confidence") is None else f"{e['confidence']:.2f}",
             "event_id": e["event_id"]} for e in events]


SHOWN_CANDIDATES = 5
"""A possible dark port call's profile row names this many of its ports (shortest detour
first); the event keeps them all."""


def _places(event: dict[str, Any], names: dict[str, str]) -> str:
    """The event's place; for a possible dark port call, every port that fits in the silence
    (the first is the one named: the shortest detour)."""
    candidates = [names.get(str(c["place_id"]), str(c["place_id"]))
                  for c in (event.get("attrs") or {}).get("candidates", [])]
    if len(candidates) > SHOWN_CANDIDATES:  # many watched ports around a long silence
        more = len(candidates) - SHOWN_CANDIDATES
        return ", ".join(candidates[:SHOWN_CANDIDATES]) + f" or {more} other ports"
    if len(candidates) > 1:
        return ", ".join(candidates[:-1]) + " or " + candidates[-1]
    place = str(event.get("place_id") or "")
    return names.get(place, place)


def _list_date(load: dict[str, Any]) -> str:
    """The list's own date, or, when neither the file nor the user gave one, the day it was
    loaded (a reader must know how old the list the match came from may be)."""
    if load.get("as_of"):
        return str(load["as_of"])
    loaded = load.get("loaded_at")
    if loaded is None:
        return "not given"
    return f"not given by the list; loaded {as_utc(loaded):%Y-%m-%d}"


def _store_section(store: Store, mmsi: int, why: str, params: ReportParams,
                   window: tuple[datetime, datetime] | None,
                   places: dict[str, str]) -> dict[str, Any]:
    # "MMSI n": a 7-digit MMSI (e.g. a factory default) must not be read as an IMO number
    profile = vessel_profile(store, f"MMSI {mmsi}")
    as_of = {x["list"]: _list_date(x) for x in profile["lists"]}
    ident = profile["identities"][0] if profile["identities"] else {}
    names = [n["value"] for n in ident.get("names") or []]
    return {
        "mmsi": mmsi, "title": f"{' / '.join(names) or 'unnamed'} · MMSI {mmsi}", "why": why,
        "in_store": True,
        "summary": (f"{ident.get('positions', 0):,} positions, "
                    f"{fmt_span(ident.get('first_seen'), ident.get('last_seen'))}; flag "
                    f"{ident.get('flag') or 'unknown'} (from the MMSI)") if ident else "",
        "identities": _identity_rows(profile),
        "sanctions": [{"list": h["list"], "entry": f"{h['entity_name']} ({h['entity_id']})",
                       "programs": ", ".join(h.get("programs") or [h.get("program") or ""]),
                       "match": h["match"], "score": f"{h['score']:.2f}",
                       "listed_on": str(h.get("listed_on") or "not given by the list"),
                       "list_as_of": as_of.get(h["list"]) or "not given",
                       "reasons": h["reasons"]} for h in profile["sanctions"]],
        "owners": [f"{o['name']} ({o['relation'].replace('_', ' ')}, {o['list']})"
                   for o in profile["owners"]],
        "practices": [{"title": p["title"], "status": p["status"], "blind": _blind(p),
                       "events": len(p["event_ids"])} for p in profile["practices"]],
        "events": event_rows(profile, params.events_per_vessel, window, places),
        "events_total": profile["events_total"],
        "lists": ", ".join(f"{x['list']} (load {x['load_id']})" for x in profile["lists"]),
        "screened": bool(profile["lists"]),
    }


def _named_section(named: dict[str, Any], store_given: bool) -> dict[str, Any]:
    """A vessel the evidence names but the store has no AIS of (or no store was given)."""
    label = named.get("name") or (f"IMO {named['imo']}" if named.get("imo") else "unnamed")
    screened = named.get("sanctioned") is not None
    return {
        "mmsi": named.get("mmsi") or "", "in_store": False,
        "title": label + (f" · IMO {named['imo']}" if named.get("imo") and named.get("name")
                          else ""),
        "why": f"named by {', '.join(named['evidence'])}",
        "summary": ("no AIS of this vessel in the store" if store_given else "no store given")
                   + ("" if screened else "; not screened: no sanctions list "
                      + ("in the store" if store_given else "without a store")),
        "identities": [], "owners": [], "practices": [], "events": [], "events_total": 0,
        "sanctions": [{"list": h["list"], "entry": f"{h['entity_name']} ({h['entity_id']})",
                       "programs": h.get("program") or "", "match": h["match"],
                       "score": f"{h['score']:.2f}", "reasons": h["reasons"],
                       "listed_on": "", "list_as_of": ""}
                      for h in named.get("sanctions") or []],
        "lists": "", "screened": screened,
    }


def vessel_sections(case_dict: dict[str, Any], store: Store | None, params: ReportParams,
                    window: tuple[datetime, datetime] | None = None) -> list[dict[str, Any]]:
    """`window`: the case's time span (its events are listed first in each profile)."""
    shown = _subjects(case_dict, params) if store is not None else []
    places = place_names(store) if store is not None else {}
    sections = [_store_section(store, mmsi, why, params, window, places) for mmsi, why in shown
                if store is not None]
    for named in case_dict["vessels"]:
        if not named.get("in_store_mmsis"):
            sections.append(_named_section(named, store is not None))
    return sections
