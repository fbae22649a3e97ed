"""FollowTheMoney JSON lines for a vessel: what AIS saw, the list entries it matched, their
owners and sanctions, and the links between them — ready for Aleph, OpenSanctions tooling or
`ftm` command-line pipelines.

What is written (one entity per line, every reference resolving to an entity in the file):
- one `Vessel` per MMSI the store holds for the query (names, IMO numbers with a valid check
  digit, call signs, the MID flag; id = hash of `cargotrace`, `ais-vessel`, MMSI), described as
  AIS observations, not as list facts;
- the list entities it matched, exactly as the store keeps them (`sanctions_entities.entity`),
  their owners and linked parties, and the `Ownership` links (`sanctions_links.entity`);
- a `Sanction` per listed entity carrying programs (the list's own Sanction entities when it
  had them, e.g. an FtM/OpenSanctions file; else one built from the list's programs, listing
  date and load date);
- an `UnknownLink` from each AIS vessel to each list entry it matched, with the match level,
  score and the reasons screening gave (role `sanctions screening match`).
The list entities reference parties the export may not hold; those are fetched from the same
list, and a reference that still does not resolve is dropped (and logged) so the file is closed.
Entities are `cargotrace.ftm.Entity` (followthemoney's JSON shape; followthemoney itself is
optional and, when installed, cleans every value): the file is the same either way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cargotrace.errors import NotFoundError
from cargotrace.ftm import Entity, make_entity
from cargotrace.screen.imo import imo_check_digit_ok
from cargotrace.screen.profile import vessel_profile
from cargotrace.store.store import Store

__all__ = ["vessel_entities", "write_ftm"]

log = logging.getLogger(__name__)

AUTHORITIES = {"ofac": "Office of Foreign Assets Control (OFAC), US Department of the Treasury",
               "un": "United Nations Security Council"}
MAX_REFERENCE_DEPTH = 3


def _ais_vessel(identity: dict[str, Any]) -> Entity:
    mmsi = str(identity["mmsi"])
    vessel = make_entity("Vessel", "cargotrace", "ais-vessel", mmsi)
    vessel.add("mmsi", mmsi)
    for obs in identity["names"]:
        vessel.add("name", obs["value"])
    for obs in identity["imos"]:
        if imo_check_digit_ok(obs["value"]):
            vessel.add("imoNumber", f"IMO{obs['value']}")
    for obs in identity["callsigns"]:
        vessel.add("callSign", obs["value"])
    if identity.get("flag"):
        vessel.add("flag", str(identity["flag"]).lower())
    if not vessel.get("name"):
        vessel.add("name", f"MMSI {mmsi}")
    seen = [f"{t:%Y-%m-%d %H:%M}Z" if t else "?" for t in (identity["first_seen"],
                                                             identity["last_seen"])]
    vessel.add("description", (
        f"Observed on AIS by cargotrace: {identity['positions']} positions, {seen[0]} to "
        f"{seen[1]} (flag from the MMSI's MID)."))
    return vessel


def _stored(store: Store, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Entity]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = store.con.execute(
        "SELECT list, id, entity FROM sanctions_entities "
        "WHERE list_contains(?, {'list': list, 'id': id})",
        [[{"list": a, "id": b} for a, b in wanted]]).fetchall()
    return {(r[0], r[1]): Entity.from_dict(json.loads(r[2])) for r in rows}


def _list_sanctions(store: Store, list_name: str, entity: Entity,
                    as_of: Any) -> list[Entity]:
    """The list's own Sanction entities for `entity`, else one built from its programs."""
    rows = store.con.execute(
        "SELECT entity FROM sanctions_entities WHERE list = ? AND schema = 'Sanction' "
        "AND list_contains(CAST(entity->'$.properties.entity' AS VARCHAR[]), ?)",
        [list_name, str(entity.id)]).fetchall()
    if rows:
        return [Entity.from_dict(json.loads(r[0])) for r in rows]
    programs = entity.get("program")
    if not programs:
        return []
    info = store.con.execute(
        "SELECT listed_on, source FROM sanctions_entities WHERE list = ? AND id = ?",
        [list_name, str(entity.id)]).fetchall()
    sanction = make_entity("Sanction", "cargotrace", list_name, "sanction", str(entity.id))
    sanction.add("entity", str(entity.id))
    for program in programs:
        sanction.add("program", program)
    if info and info[0][0] is not None:
        sanction.add("listingDate", info[0][0].isoformat())
    if list_name in AUTHORITIES:
        sanction.add("authority", AUTHORITIES[list_name])
    source = info[0][1] if info else list_name
    sanction.add("summary", f"Listed on the {list_name} list loaded from {source}"
                            + (f" (as of {as_of})" if as_of else ""))
    return [sanction]


def _references(proxy: Entity) -> list[tuple[str, str]]:
    return list(proxy.references())


def _close(store: Store, entities: dict[str, Entity], lists: dict[str, str]) -> int:
    """Fetch referenced list entities until every reference resolves; drop the rest."""
    for _ in range(MAX_REFERENCE_DEPTH):
        missing = {(lists.get(eid, ""), ref) for eid, p in entities.items()
                   for _, ref in _references(p) if ref not in entities}
        found = _stored(store, (k for k in missing if k[0]))
        if not found:
            break
        for (list_name, ref), proxy in found.items():
            entities[ref] = proxy
            lists[ref] = list_name
    dropped = 0
    for proxy in entities.values():
        for prop, ref in _references(proxy):
            if ref not in entities:
                proxy.remove(prop, ref)
                dropped += 1
                log.info("%s: dropped reference %s=%s (not in the store)", proxy.id, prop, ref)
    return dropped


def vessel_entities(store: Store, query: str) -> list[dict[str, Any]]:
    """FtM entities (as dicts) for the vessel(s) answering `query` (IMO, MMSI or name)."""
    profile = vessel_profile(store, query)
    if not profile["identities"] and not profile["sanctions"]:
        raise NotFoundError(f"vessel {query!r}: not in the store and on no loaded list "
                            "(try the IMO number, or `cargotrace vessels --name ...`)")
    entities: dict[str, Entity] = {}
    lists: dict[str, str] = {}  # entity id -> list it came from
    ais = {}
    for identity in profile["identities"]:
        vessel = _ais_vessel(identity)
        ais[identity["mmsi"]] = vessel
        entities[str(vessel.id)] = vessel
    hit_keys = {(h["list"], h["entity_id"]) for h in profile["sanctions"]}
    owner_keys = {(o["list"], o["owner_id"]) for o in profile["owners"]}
    for (list_name, eid), proxy in _stored(store, hit_keys | owner_keys).items():
        entities[eid] = proxy
        lists[eid] = list_name
    links = store.con.execute(
        "SELECT list, entity FROM sanctions_links WHERE entity IS NOT NULL AND "
        "list_contains(?, {'list': list, 'id': vessel_id})",
        [[{"list": a, "id": b} for a, b in sorted(hit_keys)]]).fetchall() if hit_keys else []
    for list_name, doc in links:
        link_proxy = Entity.from_dict(json.loads(doc))
        entities[str(link_proxy.id)] = link_proxy
        lists[str(link_proxy.id)] = list_name
    as_of = {d["list"]: d["as_of"] for d in profile["lists"]}
    for eid, list_name in list(lists.items()):
        if entities[eid].schema.is_a("Thing"):
            for sanction in _list_sanctions(store, list_name, entities[eid], as_of.get(list_name)):
                entities.setdefault(str(sanction.id), sanction)
                lists.setdefault(str(sanction.id), list_name)
    for hit in profile["sanctions"]:
        seen_vessel = ais.get(hit["mmsi"])
        if seen_vessel is None or hit["entity_id"] not in entities:
            continue
        link = make_entity("UnknownLink", "cargotrace", "screening", str(seen_vessel.id),
                           hit["list"], hit["entity_id"])
        link.add("subject", str(seen_vessel.id))
        link.add("object", hit["entity_id"])
        link.add("role", "sanctions screening match")
        link.add("summary", f"{hit['match']} match (score {hit['score']:.2f}) against "
                            f"{hit['list']} {hit['entity_id']}")
        link.add("description", "; ".join(hit["reasons"]))
        entities[str(link.id)] = link
    _close(store, entities, lists)
    order = {"Vessel": 0, "UnknownLink": 1, "Sanction": 3, "Ownership": 4}
    return [p.to_dict() for p in sorted(entities.values(),
                                        key=lambda p: (order.get(p.schema.name, 2), str(p.id)))]


def write_ftm(entities: list[dict[str, Any]], path: Path) -> int:
    """Write FtM JSON lines (one entity per line, UTF-8); returns the number of entities."""
    with path.open("w", encoding="utf-8") as handle:
        for entity in entities:
            handle.write(json.dumps(entity, ensure_ascii=False, sort_keys=True) + "\n")
    return len(entities)
