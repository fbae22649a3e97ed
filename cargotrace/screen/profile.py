"""`cargotrace vessel QUERY`: is this ship sanctioned, who is behind it, what has it been doing.

QUERY is an IMO number (7 digits, optionally `IMO` before), an MMSI (9 digits) or a name. The
profile covers every MMSI in the store that reported that IMO, that MMSI, or a name equal to the
query once normalised (`names.name_key`); several different ships answering one name make the
profile `ambiguous` (narrow it with the IMO or MMSI). The query itself is also screened against
the lists, so a ship the store never saw still shows its list entries. The JSON layout is a
stable contract: docs/reference/vessel-json.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from cargotrace.screen.candidates import match_all
from cargotrace.screen.imo import imo_check_digit_ok, parse_imo
from cargotrace.screen.match import CONFIRMED, Match, Vessel
from cargotrace.screen.params import EVENTS_PER_KIND, ScreenParams
from cargotrace.screen.practices import assess_practices, detected_kinds
from cargotrace.screen.screen import list_vessels, store_vessels
from cargotrace.store.names import name_key
from cargotrace.store.store import Store
from cargotrace.store.vessels import vessel_identities

PROFILE_VERSION = 2
"""2: a practice's `status` may be `partly detectable`; practices gained `looked`."""
_PUNCT = "[^A-Z0-9]+"


@dataclass(frozen=True)
class Query:
    text: str
    kind: str  # imo | mmsi | name
    imo: int | None = None
    mmsi: int | None = None

    @classmethod
    def parse(cls, text: str) -> Query:
        """'IMO 9179842' or 7 digits: an IMO; 'MMSI 273269509' (any length) or 9 digits: an
        MMSI; anything else: a name."""
        explicit = re.fullmatch(r"MMSI[\s:]*(\d{1,9})", text.strip().upper())
        if explicit:
            return cls(text, "mmsi", mmsi=int(explicit.group(1)))
        bare = re.sub(r"^IMO[\s:]*", "", text.strip().upper())
        if bare.isdigit() and len(bare) == 7:
            return cls(text, "imo", imo=int(bare))
        if bare.isdigit() and len(bare) == 9:
            return cls(text, "mmsi", mmsi=int(bare))
        return cls(text, "name")


def subject_mmsis(store: Store, query: Query) -> list[int]:
    """The MMSIs a profile or an export is about: those that reported the IMO, the MMSI itself,
    or those whose reported name normalises to the queried one."""
    con = store.con
    if query.kind == "imo":
        rows = con.execute("SELECT DISTINCT mmsi FROM vessel_reports WHERE imo = ?",
                           [query.imo]).fetchall()
    elif query.kind == "mmsi":
        rows = con.execute("SELECT mmsi FROM positions WHERE mmsi = $m UNION "
                           "SELECT mmsi FROM vessel_reports WHERE mmsi = $m",
                           {"m": query.mmsi}).fetchall()
    else:
        wanted = name_key(query.text).compact
        names = con.execute("SELECT DISTINCT name FROM vessel_reports WHERE name IS NOT NULL"
                            ).fetchall()
        same = [n for (n,) in names if name_key(n).compact == wanted]
        rows = con.execute("SELECT DISTINCT mmsi FROM vessel_reports WHERE list_contains(?, name)",
                           [same]).fetchall()
    return sorted(int(r[0]) for r in rows)


def _events(store: Store, mmsis: list[int]) -> list[dict[str, Any]]:
    cur = store.con.execute(
        """SELECT event_id, kind, mmsi, other_mmsi, start, "end", lat, lon, place_id, confidence,
                  attrs FROM events
           WHERE list_contains($m, mmsi) OR list_contains($m, other_mmsi)
           ORDER BY start DESC, kind, event_id""", {"m": mmsis})
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        row["attrs"] = json.loads(row["attrs"]) if isinstance(row["attrs"], str) else {}
    return rows


def _owners(store: Store, hits: list[Match]) -> list[dict[str, Any]]:
    """Parties the lists link to the hit vessels, and whether a list names the party itself."""
    ids = sorted({(h.list, h.entity_id) for h in hits})
    if not ids:
        return []
    rows = store.con.execute(
        f"""SELECT l.list, l.vessel_id, l.owner_id, l.owner_name, l.relation,
                  list(DISTINCT {{'list': e.list, 'id': e.id, 'schema': e.schema,
                                  'programs': e.programs}}) FILTER (e.id IS NOT NULL)
           FROM sanctions_links l
           LEFT JOIN sanctions_entities e ON e.schema <> 'Vessel' AND (
                (e.list = l.list AND e.id = l.owner_id AND len(e.programs) > 0)
                OR list_contains(list_transform(e.names, lambda x: regexp_replace(upper(x),
                                 '{_PUNCT}', '', 'g')),
                                 regexp_replace(upper(l.owner_name), '{_PUNCT}', '', 'g')))
           WHERE list_contains(?, {{'list': l.list, 'id': l.vessel_id}})
           GROUP BY ALL ORDER BY l.vessel_id, l.relation, l.owner_name""",
        [[{"list": a, "id": b} for a, b in ids]]).fetchall()
    return [{"list": r[0], "vessel_entity_id": r[1], "owner_id": r[2], "name": r[3],
             "relation": r[4], "listed": sorted(r[5] or [], key=lambda x: (x["list"], x["id"]))}
            for r in rows]


def _list_facts(store: Store, hits: list[Match]) -> dict[str, list[str]]:
    """Former flags the lists record for confirmed hits (flag hopping known to the list)."""
    facts: list[str] = []
    for hit in hits:
        rows = store.con.execute(
            "SELECT entity->'$.properties.pastFlags' FROM sanctions_entities "
            "WHERE list = ? AND id = ?", [hit.list, hit.entity_id]).fetchall()
        past = json.loads(rows[0][0]) if rows and rows[0][0] else []
        if past:
            facts.append(f"{hit.list} lists former flags of {hit.entity_name}: "
                         f"{', '.join(p.upper() for p in past)}")
    return {"flags": facts}


def _load_dates(store: Store) -> list[dict[str, Any]]:
    cur = store.con.execute(
        """SELECT list, max(load_id) AS load_id, arg_max(as_of, load_id) AS as_of,
                  arg_max(loaded_at, load_id) AS loaded_at
           FROM sanctions_loads GROUP BY list ORDER BY list""")
    return [{"list": r[0], "load_id": int(r[1]), "as_of": r[2], "loaded_at": r[3]}
            for r in cur.fetchall()]


def _hits(store: Store, query: Query, vessels: list[Vessel],
          params: ScreenParams) -> list[Match]:
    entries = list_vessels(store)
    hits = match_all(vessels, entries, params)
    asked = Vessel(query.mmsi, (query.text,) if query.kind == "name" else (),
                   (query.imo,) if query.imo else (), label="the query")
    seen = {h.entity_id for h in hits}
    hits += [h for h in match_all([asked], entries, params) if h.entity_id not in seen]
    return hits


def vessel_profile(store: Store, text: str, params: ScreenParams | None = None,
                   events_per_kind: int = EVENTS_PER_KIND) -> dict[str, Any]:
    """The profile as a JSON-ready dict (layout: docs/reference/vessel-json.md)."""
    params = params or ScreenParams()
    query = Query.parse(text)
    mmsis = subject_mmsis(store, query)
    vessels = store_vessels(store, mmsis) if mmsis else []
    identities = [i.to_dict() for m in mmsis for i in vessel_identities(store, mmsi=m)]
    for ident in identities:
        for imo in ident["imos"]:
            imo["check_digit_ok"] = imo_check_digit_ok(imo["value"])
    hits = _hits(store, query, vessels, params)
    owners = _owners(store, hits)
    events = _events(store, mmsis) if mmsis else []
    positions = sum(int(i["positions"]) for i in identities)
    basis = [h for h in hits if h.match == CONFIRMED] or hits  # possible hits only if no other
    basis_ids = {h.entity_id for h in basis}
    practices = assess_practices(
        vessels, events, basis, [o for o in owners if o["vessel_entity_id"] in basis_ids],
        _list_facts(store, basis), detected_kinds(store), positions)
    ships = {parse_imo(i["value"]) for ident in identities for i in ident["imos"]} - {None}
    shown: dict[str, int] = {}
    kept = [e for e in events if shown.setdefault(e["kind"], 0) < events_per_kind
            and not shown.update({e["kind"]: shown[e["kind"]] + 1})]
    return {
        "profile_version": PROFILE_VERSION,
        "query": {"text": text, "kind": query.kind, "imo": query.imo, "mmsi": query.mmsi,
                  "imo_check_digit_ok": imo_check_digit_ok(query.imo) if query.imo else None},
        "found_in_store": bool(mmsis),
        "ambiguous": query.kind == "name" and (len(ships) > 1 or (len(mmsis) > 1 and not ships)),
        "identities": identities,
        "sanctions": [h.to_dict() for h in hits],
        "owners": owners,
        "events": kept,
        "events_total": len(events),
        "practices": [p.to_dict() for p in practices],
        "lists": _load_dates(store),
        "params": {"screen": params.__dict__, "events_per_kind": events_per_kind},
    }
