"""A FollowTheMoney entity as plain data: `{"id", "schema", "properties": {prop: [values]}}`.

Why not followthemoney's `EntityProxy`: it is optional (docs/decisions/0007-followthemoney-
optional.md). This class keeps exactly the JSON shape followthemoney reads and writes — values in
insertion order without repeats, ids from `make_id` hashed the same way (SHA-1 of the parts), other
top-level keys of a read entity (`caption`, `datasets`, ... of OpenSanctions exports) kept and
written back — and cleans every value through `backend.cleaner()` (followthemoney's own cleaning
when installed). Unknown schemata and properties are refused (`FtmError`), as followthemoney does.

The caption is the first value of the schema's first caption property that has one (for a vessel
its list name), never a guess among several names: what a list calls an entry first is what the
analyst reads.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator
from hashlib import sha1
from typing import Any

from cargotrace.ftm.backend import cleaner
from cargotrace.ftm.clean import sanitize
from cargotrace.ftm.model import FtmError, Schema, get_schema


def make_id(*parts: object) -> str | None:
    """followthemoney's `make_entity_id`: SHA-1 over the stripped UTF-8 parts; None when all
    are empty."""
    digest = sha1()
    empty = digest.digest()
    for part in parts:
        if part is not None:
            digest.update(str(part).strip().encode("utf-8"))
    return None if digest.digest() == empty else digest.hexdigest()


class Entity:
    """One FtM entity; `add` cleans values, `to_dict` is the JSON-lines record."""

    __slots__ = ("_properties", "context", "id", "schema")

    def __init__(self, schema: str | Schema, entity_id: str | None = None,
                 context: dict[str, Any] | None = None) -> None:
        self.schema = schema if isinstance(schema, Schema) else get_schema(schema)
        self.id = entity_id
        self.context: dict[str, Any] = dict(context or {})
        self._properties: dict[str, list[str]] = {}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        """An entity from its JSON record, every value cleaned; unknown properties dropped
        (as followthemoney's `get_proxy(data, cleaned=False)` does)."""
        rest = dict(data)
        props = rest.pop("properties", None) or {}
        schema = rest.pop("schema", None)
        raw_id = rest.pop("id", None)
        if not isinstance(schema, str) or not isinstance(props, dict):
            raise FtmError("needs a schema name and a properties object")
        entity = cls(schema, sanitize(str(raw_id)) if raw_id else None, rest)
        for prop, values in props.items():
            entity.add(prop, values, quiet=True)
        return entity

    def _prop(self, prop: str, quiet: bool) -> str | None:
        spec = self.schema.properties.get(prop)
        if spec is None or spec.stub:
            if quiet:
                return None
            raise FtmError(f"{self.schema.name} has no settable property {prop!r}")
        return prop

    def add(self, prop: str, values: object, quiet: bool = False) -> None:
        """Add value(s) that survive cleaning; repeats are ignored."""
        if self._prop(prop, quiet) is None:
            return
        type_name = self.schema.properties[prop].type
        _, clean = cleaner()
        items = values if isinstance(values, list | tuple | set) else [values]
        for value in items:
            if value is None:
                continue
            cleaned = clean(self.schema.name, prop, type_name, value, self.id)
            if cleaned is None:
                continue
            current = self._properties.setdefault(prop, [])
            if cleaned not in current:
                current.append(cleaned)

    def get(self, prop: str, quiet: bool = False) -> builtins.list[str]:
        if prop not in self.schema.properties:
            if quiet:
                return []
            raise FtmError(f"{self.schema.name} has no property {prop!r}")
        return list(self._properties.get(prop, ()))

    def remove(self, prop: str, value: str) -> None:
        values = self._properties.get(prop)
        if values and value in values:
            values.remove(value)
            if not values:
                del self._properties[prop]

    def make_id(self, *parts: object) -> str | None:
        self.id = make_id(*parts)
        return self.id

    @property
    def caption(self) -> str:
        for prop in self.schema.caption:
            values = self._properties.get(prop)
            if values:
                return values[0]
        return self.schema.label

    def references(self) -> Iterator[tuple[str, str]]:
        """(property, entity id) of every value that points at another entity."""
        for prop, values in self._properties.items():
            if self.schema.properties[prop].type == "entity":
                yield from ((prop, value) for value in values)

    @property
    def properties(self) -> dict[str, builtins.list[str]]:
        return {prop: list(values) for prop, values in self._properties.items()}

    def to_dict(self) -> dict[str, Any]:
        return {**self.context, "id": self.id, "schema": self.schema.name,
                "properties": self.properties}


def make_entity(schema: str, *id_parts: str) -> Entity:
    """A new entity whose id is a stable hash of `id_parts` (same input, same id)."""
    entity = Entity(schema)
    if id_parts:
        entity.make_id(*id_parts)
    return entity


def entities_from_dicts(docs: Iterable[dict[str, Any]]) -> builtins.list[Entity]:
    return [Entity.from_dict(doc) for doc in docs]
