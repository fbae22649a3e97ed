"""Evidence -> resolved items -> time/place anchors of the shipment chain.

Why anchors: a hypothesis is a chain of legs between places where the cargo was seen, so every
dated, placed item narrower than `context_min_window_h` is an anchor; consecutive anchors at the
same place merge into one stay. Wider items ("shuttled between Rajin and Dunay, Aug-Oct") and
items without a place are context: they can name a vessel or a mode for a leg, not time it.
Places resolve through the store's places plus the curated gazetteer; an ambiguous or unknown
name is flagged and the item kept out of the chain, never guessed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cargotrace.cases.params import CaseParams, grading_weight
from cargotrace.cases.schema import Case, EvidenceItem, PlacePoint
from cargotrace.errors import NotFoundError, ParamsError
from cargotrace.routes.place_book import PlaceBook
from cargotrace.store.places import Place

__all__ = ["Anchor", "Flag", "Resolved", "build_anchors", "combined_weight", "resolve_items"]


@dataclass(frozen=True)
class Flag:
    """Something the analyst must look at: `code` is one of docs/concepts/cases.md's set."""

    code: str
    message: str
    evidence: tuple[str, ...] = ()
    level: str = "warning"  # error | warning | info

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "level": self.level, "evidence": list(self.evidence),
                "message": self.message}


@dataclass(frozen=True)
class Resolved:
    """An evidence item with its place resolved (None: no place, or not resolvable)."""

    item: EvidenceItem
    index: int
    place: Place | None

    @property
    def weight(self) -> float:
        return grading_weight(self.item.grading)

    @property
    def window_h(self) -> float:
        return (self.item.end - self.item.start).total_seconds() / 3600


@dataclass(frozen=True)
class Anchor:
    """Where the cargo was, and when (the union of the merged items' windows: a stay).

    Why two more windows: a leg must be timed by the sightings that bound it. The cargo had
    arrived by the end of the *first* sighting at a place (`arrive`), and left no earlier than the
    start of the *last* one (`depart`): a ship seen at B on day 2 and again on day 23 was at B in
    between, so the leg A -> B has at most 2 days, not 23.
    """

    place: Place
    start: datetime
    end: datetime
    items: tuple[Resolved, ...]

    @property
    def arrive(self) -> tuple[datetime, datetime]:
        """The window of the first sighting (the one that ends first)."""
        first = min(self.items, key=lambda r: (r.item.end, r.item.start, r.index))
        return first.item.start, first.item.end

    @property
    def depart(self) -> tuple[datetime, datetime]:
        """The window of the last sighting (the one that starts last)."""
        last = max(self.items, key=lambda r: (r.item.start, r.item.end, -r.index))
        return last.item.start, last.item.end

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.item.id for r in self.items)

    @property
    def weight(self) -> float:
        return combined_weight([r.weight for r in self.items])

    @property
    def gradings(self) -> str:
        return ", ".join(f"{r.item.id} ({r.item.grading})" for r in self.items)


def combined_weight(weights: list[float]) -> float:
    """Independent items that agree: 1 - prod(1 - w) (two B2 items: 0.87)."""
    miss = 1.0
    for w in weights:
        miss *= 1.0 - w
    return 1.0 - miss


def _point_place(point: PlacePoint) -> Place:
    digest = hashlib.sha256(f"{point.name}|{point.lat}|{point.lon}".encode()).hexdigest()[:10]
    return Place(place_id=f"case:{digest}", name=point.name, aliases=(), country=None,
                 kind=point.kind, lat=point.lat, lon=point.lon, radius_m=5000.0,
                 watch_reason=None, source="case file coordinates")


def resolve_items(case: Case, book: PlaceBook) -> tuple[list[Resolved], list[Flag]]:
    """Every item with its place, and a flag for each place that is ambiguous or unknown."""
    out: list[Resolved] = []
    flags: list[Flag] = []
    for i, item in enumerate(case.evidence):
        place: Place | None = None
        if isinstance(item.place, PlacePoint):
            place = _point_place(item.place)
        elif item.place is not None:
            try:
                place = book.resolve(item.place)
            except ParamsError as exc:
                flags.append(Flag("ambiguous_place", f"evidence[{i}] ({item.id}): {exc}; the "
                                  "item is left out of the chain", (item.id,)))
            except NotFoundError as exc:
                flags.append(Flag("unresolved_place", f"evidence[{i}] ({item.id}): {exc}; the "
                                  "item is left out of the chain (or give {name:, lat:, lon:})",
                                  (item.id,)))
        out.append(Resolved(item, i, place))
    return out, flags


def is_anchor(r: Resolved, params: CaseParams) -> bool:
    return r.place is not None and r.window_h < params.context_min_window_h


def build_anchors(resolved: list[Resolved], params: CaseParams) -> list[Anchor]:
    """Anchors in time order (by window start, then end, then file order); same place merges."""
    ordered = sorted((r for r in resolved if is_anchor(r, params)),
                     key=lambda r: (r.item.start, r.item.end, r.index))
    anchors: list[Anchor] = []
    for r in ordered:
        assert r.place is not None
        last = anchors[-1] if anchors else None
        if last is not None and last.place.place_id == r.place.place_id:
            anchors[-1] = Anchor(last.place, min(last.start, r.item.start),
                                 max(last.end, r.item.end), (*last.items, r))
        else:
            anchors.append(Anchor(r.place, r.item.start, r.item.end, (r,)))
    return anchors
