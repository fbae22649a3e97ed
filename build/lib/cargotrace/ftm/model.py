"""The FollowTheMoney model as cargotrace needs it: schemata, inheritance, property types.

Why a snapshot: followthemoney needs pyicu (compiled C++) through normality, so it is an optional
extra (docs/decisions/0007-followthemoney-optional.md). The model's shape is data — schema names,
what each extends, caption properties, each property's type and format, the codes of the enum
types — and `tools/ftm_model_snapshot.py` dumps it from the pinned followthemoney into
`cargotrace/data/ftm/model.json` (a test fails when the two drift apart).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any


class FtmError(ValueError):
    """An entity the model cannot hold: unknown schema or property, a stub property, no id."""


@dataclass(frozen=True)
class Property:
    name: str
    type: str  # FtM type name: name, country, date, identifier, entity, string, ...
    format: str | None  # identifier format, e.g. "imo"
    stub: bool  # a reverse property (set on the other entity), never set directly


@dataclass(frozen=True)
class Schema:
    name: str
    ancestors: frozenset[str]  # itself and every schema it extends, transitively
    label: str  # the caption of an entity without any caption property value
    caption: tuple[str, ...]  # properties tried, in order, for the entity's label
    edge: bool  # a link between two entities (Ownership, UnknownLink, ...)
    properties: dict[str, Property]  # own and inherited

    def is_a(self, other: str) -> bool:
        return other in self.ancestors


def _snapshot_text(name: str) -> str:
    return files("cargotrace").joinpath("data", "ftm", name).read_text(encoding="utf-8")


@cache
def snapshot() -> dict[str, Any]:
    """The packaged model snapshot (schemata, enum codes, the followthemoney version)."""
    doc: dict[str, Any] = json.loads(_snapshot_text("model.json"))
    return doc


@cache
def territories() -> dict[str, dict[str, str]]:
    """Country codes and normalised territory names → FtM country code (from rigour)."""
    doc: dict[str, dict[str, str]] = json.loads(_snapshot_text("territories.json"))
    return doc


def _ancestors(name: str, raw: dict[str, Any]) -> list[str]:
    found = [name]
    for parent in raw[name]["extends"]:
        found += [a for a in _ancestors(parent, raw) if a not in found]
    return found


@cache
def get_schema(name: str) -> Schema:
    """The schema called `name`; FtmError when the model has none."""
    raw = snapshot()["schemata"]
    if name not in raw:
        raise FtmError(f"unknown schema {name[:60]!r}")
    lineage = _ancestors(name, raw)
    properties: dict[str, Property] = {}
    for schema in reversed(lineage):  # a schema's own definition wins over its parents'
        for prop, spec in raw[schema]["properties"].items():
            properties[prop] = Property(prop, spec["type"], spec["format"], spec["stub"])
    return Schema(name, frozenset(lineage), raw[name]["label"], tuple(raw[name]["caption"]),
                  bool(raw[name]["edge"]), properties)


def enum_codes(type_name: str) -> frozenset[str]:
    return frozenset(snapshot()["enums"].get(type_name, ()))
