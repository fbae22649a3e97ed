"""What a list reader produces: FollowTheMoney entities with the columns screening needs.

Every reader (`ofac`, `un`, `ftm`) returns the same `ReadResult`, so loading, history and matching
never depend on a list's file format. The FtM entity dict is kept whole (exports emit FtM JSON);
the columns beside it (names, imo, mmsi, flag, programs, listed_on) are what SQL and matching use.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cargotrace.ftm import Entity, make_entity
from cargotrace.screen.imo import parse_imo, valid_mmsi


@dataclass(frozen=True)
class Link:
    """An owner, operator or "Linked To:" party of a listed vessel, as the list states it."""

    id: str  # the FtM Ownership (or UnknownLink) entity id
    vessel_id: str
    owner_id: str
    owner_name: str
    relation: str  # "linked_to" (OFAC remarks), "owner" (OFAC Vess_owner, FtM owner), "operator"
    entity: dict[str, Any]


@dataclass
class ListEntity:
    """One list entry: a Vessel, Organization, Person (or other FtM schema) with its provenance."""

    proxy: Entity  # the FtM entity (cargotrace.ftm: followthemoney's JSON shape)
    list: str
    programs: builtins.list[str]
    listed_on: date | None
    source: str
    source_row: int | None
    links: builtins.list[Link] = field(default_factory=builtins.list)

    @property
    def id(self) -> str:
        return str(self.proxy.id)

    @property
    def schema(self) -> str:
        return str(self.proxy.schema.name)

    @property
    def names(self) -> builtins.list[str]:
        """The caption first, then every other name and alias the list gives."""
        caption = self.proxy.caption
        others = [n for prop in ("name", "alias", "previousName", "weakAlias")
                  for n in self.proxy.get(prop, quiet=True) if n != caption]
        return [caption, *dict.fromkeys(others)]

    @property
    def imo(self) -> int | None:
        """The first IMO number with a valid ship check digit (company IMO numbers excluded)."""
        for value in self.proxy.get("imoNumber", quiet=True):
            number = parse_imo(value)
            if number is not None and self.schema == "Vessel":
                return number
        return None

    @property
    def mmsi(self) -> int | None:
        for value in self.proxy.get("mmsi", quiet=True):
            number = valid_mmsi(value)
            if number is not None:
                return number
        return None

    @property
    def flag(self) -> str | None:
        flags = self.proxy.get("flag", quiet=True)
        return flags[0].upper() if flags else None

    @property
    def vessel_type(self) -> str | None:
        types = self.proxy.get("type", quiet=True)
        return types[0] if types else None

    def entity_dict(self) -> dict[str, Any]:
        return dict(self.proxy.to_dict())

    def fingerprint(self) -> str:
        """Hash of what the list says (not where in the file): equal ⇔ unchanged entry."""
        doc = {"entity": self.entity_dict(), "programs": sorted(self.programs),
               "listed_on": self.listed_on, "links": sorted(
                   (lk.owner_id, lk.owner_name, lk.relation) for lk in self.links)}
        return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class SkippedRow:
    """A record inside a usable file that could not be turned into an entity (never a crash)."""

    row: int
    reason: str
    detail: str


@dataclass
class ReadResult:
    format: str
    rows_read: int
    entities: builtins.list[ListEntity]
    skipped: builtins.list[SkippedRow] = field(default_factory=builtins.list)
    published: date | None = None  # the date the file says it was generated, if it says


def ownership_link(
    list_name: str, vessel: Entity, owner_id: str, owner_name: str, relation: str
) -> Link:
    """An FtM Ownership entity (asset = the vessel) for an owner the list names."""
    link = make_entity("Ownership", list_name, "link", str(vessel.id), owner_id, relation)
    link.add("owner", owner_id)
    link.add("asset", str(vessel.id))
    link.add("role", relation.replace("_", " "))
    vessel.add("owner" if relation != "operator" else "operator", owner_id)
    return Link(str(link.id), str(vessel.id), owner_id, owner_name, relation, link.to_dict())
