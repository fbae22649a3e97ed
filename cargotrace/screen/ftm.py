"""FollowTheMoney entity JSON lines (OpenSanctions exports, or files built with followthemoney).

Read with `cargotrace.ftm.Entity` (followthemoney itself is optional: with it installed its
cleaning validates every value, without it the plain mirror does; both give the same entities).

One entity per line: `{"id": ..., "schema": "Vessel", "properties": {"imoNumber": [...], ...}}`.
Every entity is kept (exports re-emit them); what screening needs is read from them: programs from
the entity's `program` and from the `Sanction` entities pointing at it, the listing date from the
earliest `Sanction.listingDate` (else `startDate`), owners from `Ownership` entities and from the
vessel's own `owner`/`operator` properties. FtM drops property values it cannot clean (a bad flag
or IMO) and does not validate MMSIs: screening reads only IMO numbers with a valid check digit and
9-digit MMSIs (see `records.ListEntity`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from pathlib import Path

from cargotrace.errors import UnreadableInputError
from cargotrace.ftm import Entity, FtmError
from cargotrace.screen.records import Link, ListEntity, ReadResult, SkippedRow


def _date(values: list[str]) -> date | None:
    days = []
    for value in values:
        try:
            days.append(date.fromisoformat(value[:10]))
        except ValueError:
            continue
    return min(days) if days else None


def _proxies(path: Path) -> tuple[int, list[tuple[int, Entity]], list[SkippedRow]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableInputError(f"{path}: cannot read as UTF-8 text ({exc})") from exc
    proxies: list[tuple[int, Entity]] = []
    skipped: list[SkippedRow] = []
    rows_read = 0
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        rows_read += 1
        try:
            data = json.loads(line)
            if not isinstance(data, dict) or not data.get("id") or not data.get("schema"):
                raise ValueError("needs an object with id and schema")
            proxies.append((line_no, Entity.from_dict(data)))
        except (ValueError, FtmError) as exc:
            skipped.append(SkippedRow(line_no, "bad_entity", str(exc)[:200]))
    if rows_read and not proxies:
        raise UnreadableInputError(
            f"{path}: no FollowTheMoney entity in {rows_read} line(s) (line 1: "
            f"{skipped[0].detail}); expected JSON lines with id, schema and properties")
    if not rows_read:
        raise UnreadableInputError(f"{path}: no records (empty file)")
    return rows_read, proxies, skipped


def read_ftm_jsonl(path: Path, list_name: str = "ftm") -> ReadResult:
    """Entities of an FtM JSON lines file, with programs, listing dates and owners attached."""
    rows_read, proxies, skipped = _proxies(path)
    sanctions: dict[str, list[Entity]] = defaultdict(list)
    ownerships: list[tuple[int, Entity]] = []
    for line_no, proxy in proxies:
        if proxy.schema.is_a("Sanction"):
            for target in proxy.get("entity"):
                sanctions[target].append(proxy)
        elif proxy.schema.is_a("Ownership"):
            ownerships.append((line_no, proxy))
    entities: dict[str, ListEntity] = {}
    for line_no, proxy in proxies:
        entity_id = str(proxy.id)
        own = sanctions.get(entity_id, [])
        programs = list(dict.fromkeys(
            proxy.get("program", quiet=True) + [p for s in own for p in s.get("program")]))
        listed = _date([d for s in own for d in s.get("listingDate")]) or _date(
            [d for s in own for d in s.get("startDate")])
        entities[entity_id] = ListEntity(proxy, list_name, programs, listed, path.name, line_no)
    _attach_owners(entities, ownerships)
    return ReadResult("ftm", rows_read, list(entities.values()), skipped)


def _caption(entities: dict[str, ListEntity], entity_id: str) -> str:
    found = entities.get(entity_id)
    return found.proxy.caption if found is not None else entity_id


def _attach_owners(
    entities: dict[str, ListEntity], ownerships: list[tuple[int, Entity]]
) -> None:
    for _, own in ownerships:
        for asset in own.get("asset"):
            vessel = entities.get(asset)
            if vessel is None or vessel.schema != "Vessel":
                continue
            for owner in own.get("owner"):
                vessel.links.append(Link(str(own.id), asset, owner, _caption(entities, owner),
                                         "owner", own.to_dict()))
    for entity in entities.values():
        if entity.schema != "Vessel":
            continue
        linked = {lk.owner_id for lk in entity.links}
        for prop in ("owner", "operator"):
            for party in entity.proxy.get(prop, quiet=True):
                if party not in linked:
                    entity.links.append(Link(f"{entity.id}.{prop}.{party}", entity.id, party,
                                             _caption(entities, party), prop, {}))
