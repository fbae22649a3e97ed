"""The deceptive shipping practices of the US maritime sanctions advisory, as seen in our data.

Source: "Guidance to Address Illicit Shipping and Sanctions Evasion Practices", US Department of
State, Treasury (OFAC) and Coast Guard, 14 May 2020. We report six of its practices (document
falsification cannot be seen in AIS or lists). Each is `seen`, `not seen`, `partly detectable`,
`not detectable` or `no data`:
- `seen`: at least one event or list fact below supports it (ids and facts are given);
- `not seen`: every detector the practice needs ran over the store (the `meta` keys
  `detected:<kind>` written by `cargotrace detect`) and found nothing for this vessel;
- `partly detectable`: the detectors ran and found nothing, but the data could not have given
  some of them any event (the run's `blocked` notes, e.g. "capture too short": a 1-hour capture
  holds no 12-hour gap); those kinds and why are in `undetectable`, the kinds that did look are
  in `looked`. "Not seen" there would read as "looked at everything and found nothing";
- `not detectable`: the same, but none of the needed kinds could have given any event;
- `no data`: we cannot tell — the vessel has no AIS in the store, or a needed detector never ran
  (those are named in `not_detected`), or, for ownership, no list entry describes the vessel.
No risk number is derived from these: the reasons are the output.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from cargotrace.detect.kinds import EventKind, IdentityKind
from cargotrace.screen.imo import imo_check_digit_ok
from cargotrace.screen.match import CONFIRMED, Match, Vessel
from cargotrace.store.store import Store

SEEN, NOT_SEEN, NO_DATA = "seen", "not seen", "no data"
NOT_DETECTABLE, PARTLY_DETECTABLE = "not detectable", "partly detectable"


@dataclass
class Practice:
    practice: str
    title: str
    status: str
    rule: str
    event_ids: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    not_detected: list[str] = field(default_factory=list)
    undetectable: dict[str, list[str]] = field(default_factory=dict)
    """Per needed kind whose last run could not find any event: why (its `blocked` notes)."""
    looked: list[str] = field(default_factory=list)
    """Needed kinds whose last run could find events (and, unless `seen`, found none)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def detected_kinds(store: Store) -> dict[str, dict[str, Any]]:
    """Kinds some detection run covered, from the `meta` keys `detected:<kind>`."""
    rows = store.con.execute(
        "SELECT key, value FROM meta WHERE key LIKE 'detected:%'").fetchall()
    return {key.removeprefix("detected:"): json.loads(value) for key, value in rows}


def _events(events: list[dict[str, Any]], kind: str, subkinds: tuple[str, ...] = (),
            attr: str | None = None) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] == kind
            and (not subkinds or e["attrs"].get("identity_kind") in subkinds)
            and (attr is None or e["attrs"].get(attr))]


def _status(evidence: bool, has_ais: bool, missing: list[str], blocked: int, needed: int) -> str:
    """Blind kinds only qualify "nothing found": a vessel with evidence is `seen` whatever
    else could not look, and one needed kind never run makes the answer `no data`."""
    if evidence:
        return SEEN
    if not has_ais or missing:
        return NO_DATA
    if not blocked:
        return NOT_SEEN
    return NOT_DETECTABLE if blocked == needed else PARTLY_DETECTABLE


def _practice(key: str, title: str, rule: str, needs: list[str], found: list[dict[str, Any]],
              facts: list[str], has_ais: bool, ran: dict[str, Any]) -> Practice:
    missing = [k for k in needs if k not in ran]
    blocked = {k: list(ran[k].get("blocked") or []) for k in needs
               if has_ais and k in ran and ran[k].get("blocked")}  # no AIS: nothing to say
    looked = [k for k in needs if has_ais and k in ran and k not in blocked]
    return Practice(key, title, _status(bool(found or facts), has_ais, missing, len(blocked),
                                        len(needs)),
                    rule, sorted({e["event_id"] for e in found}), facts, needs, missing,
                    blocked, looked)


def assess_practices(
    vessels: list[Vessel], events: list[dict[str, Any]], hits: list[Match],
    owners: list[dict[str, Any]], list_facts: dict[str, list[str]],
    ran: dict[str, dict[str, Any]], positions: int,
) -> list[Practice]:
    """The six practices for the vessels of one profile (all their MMSIs together)."""
    has_ais = positions > 0
    k = EventKind
    gap, ident, dark = str(k.GAP), str(k.IDENTITY), str(k.DARK_VOYAGE)
    disabling = (_events(events, gap, attr="likely_disabling")
                 + _events(events, ident, (IdentityKind.TELEPORT, IdentityKind.SHARED_MMSI))
                 + _events(events, dark))
    altered = _events(events, ident, (IdentityKind.NAME_CHANGE, IdentityKind.IMO_CHANGE,
                                      IdentityKind.CALLSIGN_CHANGE))
    bad_imos = sorted({i for v in vessels for i in v.imos if not imo_check_digit_ok(i)})
    altered_facts = [f"MMSI {v.mmsi} reports IMO {i}, which fails the check digit"
                     for v in vessels for i in v.imos if i in bad_imos]
    sts = _events(events, str(k.ENCOUNTER))
    voyage_kinds = [str(k.DARK_VOYAGE), str(k.POSSIBLE_DARK_PORT_CALL),
                    str(k.DRAUGHT_CHANGE), str(k.LOITERING)]
    voyage = [e for kind in voyage_kinds for e in _events(events, kind)]
    flags = _events(events, ident, (IdentityKind.FLAG_CHANGE,))
    flag_facts = [f"MMSI {v.mmsi} carries no valid MID: the flag it claims is unknown"
                  for v in vessels if v.flag is None]
    flag_facts += list_facts.get("flags", [])
    flag_facts += [f"flag {v.flag} from MID of MMSI {v.mmsi} ≠ list flag of {h.entity_name} "
                   f"({h.list} {h.entity_id})" for h in hits if h.match == CONFIRMED
                   for v in vessels if v.mmsi == h.mmsi and h.fields.get("flag") == "differs"]
    practices = [
        _practice("ais_disabling", "AIS disabling or manipulation",
                  "gap with likely_disabling, teleport or shared MMSI identity event, or dark "
                  "voyage", [gap, ident, dark], disabling, [], has_ais, ran),
        _practice("altered_identification", "Physically altering vessel identification",
                  "name, IMO or call-sign change, or a reported IMO failing its check digit",
                  [ident], altered, altered_facts,
                  any(v.names or v.imos for v in vessels), ran),
        _practice("ship_to_ship_transfers", "Ship-to-ship transfers",
                  "encounter event (two vessels close and slow away from port)",
                  [str(k.ENCOUNTER)], sts, [], has_ais, ran),
        _practice("voyage_irregularities", "Voyage irregularities",
                  "dark voyage, possible dark port call, draught change across a silence, "
                  "or loitering", voyage_kinds, voyage, [], has_ais, ran),
        _practice("false_flags_flag_hopping", "False flags and flag hopping",
                  "flag change between MMSIs of one IMO, MMSI without valid MID, AIS flag ≠ "
                  "list flag, or former flags on the list", [ident], flags, flag_facts,
                  has_ais, ran),
    ]
    practices.append(_ownership(hits, owners))
    return practices


def _ownership(hits: list[Match], owners: list[dict[str, Any]]) -> Practice:
    """Per list entry (never pooled across the different ships a name query may hit)."""
    rule = ("a list entry links the vessel to two or more parties (owner, operator, 'Linked "
            "To:'), or a party is itself on another list")
    by_entry: dict[str, dict[str, dict[str, Any]]] = {}
    for owner in owners:
        by_entry.setdefault(owner["vessel_entity_id"], {})[owner["owner_id"]] = owner
    facts: list[str] = []
    for entry, parties in sorted(by_entry.items()):
        if len(parties) > 1:
            facts.append(f"{entry} is linked to {len(parties)} parties: "
                         + ", ".join(sorted(o["name"] for o in parties.values())))
        facts += [f"{entry}: {o['name']} is also on the "
                  f"{', '.join(sorted({x['list'] for x in o['listed']} - {o['list']}))} list"
                  for o in parties.values() if any(x["list"] != o["list"] for x in o["listed"])]
    status = SEEN if facts else NOT_SEEN if hits and owners else NO_DATA
    return Practice("complex_ownership", "Complex ownership or management", status, rule,
                    [], facts, ["sanctions list"], [])
