"""The carrier the evidence names for a leg: a ship at both ends, railcars, trucks.

Why: the evidence's own words about *how* the cargo moved are the strongest thing it says about
a leg. A named vessel loading at A and the same vessel unloading at B make A -> B a vessel leg;
railcars seen at both ends make it a rail leg; trucks a road leg. A hypothesis whose leg between
those two anchors goes by another mode (or that has no such leg at all) contradicts the
evidence: it gets a factor 1 - w and is ranked below every hypothesis that agrees (build.py),
whatever its time fit (issue 15).

What names a carrier, in order: a `vessel` (by sea, that ship); kind `rail_sighting` (rail);
words in `what`, in English, Russian, Korean or Chinese (carrier_words.py): railway words
(railcars, вагоны, 화물열차, 列车: rail), then road words (trucks, грузовики, 트럭, 卡车: road),
then ship words (ship, судно, 선박, 货轮: by sea, an unnamed ship). The same vessel at both ends
means the same IMO, else the same MMSI, else the same normalised name; unnamed ships at both
ends are one carrier ("ships").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from cargotrace.cases.anchors import Anchor, Resolved, combined_weight
from cargotrace.cases.carrier_words import find_carrier_words
from cargotrace.cases.schema import VesselRef
from cargotrace.store.names import name_key

__all__ = ["CarrierMention", "NamedCarrier", "carrier_mention", "carrier_of", "leg_agrees",
           "named_carriers", "vessel_key"]

def vessel_key(ref: VesselRef) -> str:
    if ref.imo:
        return f"imo:{ref.imo}"
    if ref.mmsi:
        return f"mmsi:{ref.mmsi}"
    return f"name:{name_key(ref.name or '').compact}"


@dataclass(frozen=True)
class CarrierMention:
    """What one evidence item says about the carrier, and why: for `case check` and the
    case JSON, so an analyst sees which words decided a leg's mode."""

    mode: str  # sea | rail | road
    key: str  # 'imo:9179842', 'ship' (unnamed), 'rail', 'road'
    because: str  # "ship ANGARA (IMO 9179842)", "kind rail_sighting", "words: вагоны (ru)"

    def to_dict(self) -> dict[str, str]:
        return {"mode": self.mode, "key": self.key, "because": self.because}


_WORD_KEYS = {"sea": "ship", "rail": "rail", "road": "road"}


def carrier_mention(r: Resolved) -> CarrierMention | None:
    """The carrier the item names (module doc), with the reason, or None."""
    item = r.item
    if item.vessel is not None:
        return CarrierMention("sea", vessel_key(item.vessel), f"ship {item.vessel.label}")
    if str(item.kind) == "rail_sighting":
        return CarrierMention("rail", "rail", "kind rail_sighting")
    found = find_carrier_words(item.what or "")
    if not found:
        return None
    first = found[0]
    words = ", ".join(f"{m.word} ({m.language})" for m in found if m.mode == first.mode)
    return CarrierMention(first.mode, _WORD_KEYS[first.mode], f"words: {words}")


def carrier_of(r: Resolved) -> tuple[str, str] | None:
    """(mode, carrier key) the item names, or None: ('sea', 'imo:9179842'), ('rail', 'rail')."""
    found = carrier_mention(r)
    return None if found is None else (found.mode, found.key)


def _describe(r: Resolved, mode: str) -> str:
    if r.item.vessel is not None:
        return f"ship {r.item.vessel.label}"
    return {"rail": "railcars", "road": "trucks"}.get(mode, "ships (unnamed)")


@dataclass(frozen=True)
class NamedCarrier:
    """The evidence names the carrier between two consecutive anchors."""

    start: Anchor
    end: Anchor
    mode: str  # sea | rail | road
    carrier: str  # 'ship ANGARA (IMO 9179842)', 'railcars', 'trucks'
    at_start: tuple[Resolved, ...]
    at_end: tuple[Resolved, ...]

    @property
    def evidence(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.item.id for r in (*self.at_start, *self.at_end)))

    @property
    def weight(self) -> float:
        """As sure as its weaker end; each end as sure as its items together."""
        return min(combined_weight([r.weight for r in self.at_start]),
                   combined_weight([r.weight for r in self.at_end]))

    @property
    def sentence(self) -> str:
        ids = ", ".join(f"{i}" for i in self.evidence)
        return (f"{ids} name the carrier from {self.start.place.name} to {self.end.place.name}:"
                f" {self.carrier} at both ends (by {self.mode})")


def _items_at(anchor: Anchor, window: tuple[datetime, datetime], context: list[Resolved],
              slack: timedelta) -> list[Resolved]:
    lo, hi = window
    near = [r for r in context if r.place is not None
            and r.place.place_id == anchor.place.place_id
            and r.item.start <= hi + slack and r.item.end >= lo - slack]
    return [*anchor.items, *near]


def named_carriers(anchors: list[Anchor], context: list[Resolved],
                   slack_h: float) -> list[NamedCarrier]:
    """Every pair of consecutive anchors whose two ends name the same carrier."""
    slack = timedelta(hours=slack_h)
    out: list[NamedCarrier] = []
    for a, b in pairwise(anchors):
        at_a: dict[tuple[str, str], list[Resolved]] = {}
        at_b: dict[tuple[str, str], list[Resolved]] = {}
        for bucket, anchor, window in ((at_a, a, a.depart), (at_b, b, b.arrive)):
            for r in _items_at(anchor, window, context, slack):
                found = carrier_of(r)
                if found is not None:
                    bucket.setdefault(found, []).append(r)
        for key in at_a:
            if key in at_b:
                mode = key[0]
                out.append(NamedCarrier(a, b, mode, _describe(at_a[key][0], mode),
                                        tuple(at_a[key]), tuple(at_b[key])))
    return out


def leg_agrees(modes: tuple[str, ...], carrier: str) -> bool:
    """Whether a leg carried by `modes` (road connectors left out) is by the named carrier."""
    if carrier == "sea":
        return bool(modes) and set(modes) <= {"sea", "ferry"}
    if carrier == "rail":
        return set(modes) == {"rail"}
    return not modes  # road: nothing but road
