"""Sanctions lists in the store: load, replace, and keep the history of what changed.

A load replaces the current entities of its list (`sanctions_entities`, `sanctions_links`) in one
transaction, and records in `sanctions_changes` which entities were added, removed or changed
since that list's previous load — a vessel delisted or newly listed is news, so replacement
never loses it. The first load of a list records no changes (there is nothing to compare with).
Loading the same file again (same SHA-256 and `--as-of`) changes nothing and says so.
"""

from __future__ import annotations

import builtins
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from cargotrace.errors import ParamsError, UnreadableInputError
from cargotrace.ftm import cleaner
from cargotrace.provenance import file_sha256
from cargotrace.screen.ftm import read_ftm_jsonl
from cargotrace.screen.list_formats import ListFormat as ListFormat  # re-exported: it lived here
from cargotrace.screen.ofac import read_ofac_csv
from cargotrace.screen.records import ReadResult, SkippedRow
from cargotrace.screen.un import read_un_xml
from cargotrace.store.schema_screen import SANCTIONS_LINKS
from cargotrace.store.store import Store
from cargotrace.version import __version__

log = logging.getLogger(__name__)


READERS = {ListFormat.OFAC: read_ofac_csv, ListFormat.UN: read_un_xml,
           ListFormat.FTM: read_ftm_jsonl}


@dataclass
class LoadSummary:
    list: str
    format: str
    path: str
    load_id: int | None  # None when nothing changed (same file as the list's last load)
    unchanged: bool
    rows_read: int
    entities: int
    vessels: int
    skipped: builtins.list[SkippedRow] = field(default_factory=builtins.list)
    previous_load_id: int | None = None
    added: int = 0
    removed: int = 0
    changed: int = 0
    as_of: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sniff_format(path: Path) -> ListFormat:
    """The list format from the first non-blank character: `<` UN XML, `{` FtM, else OFAC."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        raise UnreadableInputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if head.startswith(b"<"):
        return ListFormat.UN
    if head.startswith(b"{"):
        return ListFormat.FTM
    return ListFormat.OFAC


def _entity_rows(result: ReadResult, load_id: int, first_load: dict[str, int]) -> pa.Table:
    ents = result.entities
    return pa.table({
        "id": [e.id for e in ents],
        "schema": [e.schema for e in ents],
        "names": [[] if e.proxy.schema.edge else e.names for e in ents],
        "imo": pa.array([e.imo for e in ents], pa.int64()),
        "mmsi": pa.array([e.mmsi for e in ents], pa.int64()),
        "flag": pa.array([e.flag for e in ents], pa.string()),
        "programs": [e.programs for e in ents],
        "list": [e.list for e in ents],
        "listed_on": pa.array([e.listed_on for e in ents], pa.date32()),
        "source": [e.source for e in ents],
        "source_row": pa.array([e.source_row for e in ents], pa.int64()),
        "vessel_type": pa.array([e.vessel_type for e in ents], pa.string()),
        "entity": [json.dumps(e.entity_dict(), sort_keys=True) for e in ents],
        "fingerprint": [e.fingerprint() for e in ents],
        "load_id": [load_id] * len(ents),
        "first_load_id": [first_load.get(e.id, load_id) for e in ents],
    })


def _link_rows(result: ReadResult, list_name: str, load_id: int) -> pa.Table:
    links = [lk for e in result.entities for lk in e.links]
    return pa.table({
        "list": [list_name] * len(links),
        "link_id": [lk.id for lk in links],
        "vessel_id": [lk.vessel_id for lk in links],
        "owner_id": [lk.owner_id for lk in links],
        "owner_name": [lk.owner_name for lk in links],
        "relation": [lk.relation for lk in links],
        "entity": [json.dumps(lk.entity, sort_keys=True) if lk.entity else None for lk in links],
        "load_id": [load_id] * len(links),
    }, schema=SANCTIONS_LINKS.arrow_schema())


_CHANGES_SQL = """
    INSERT INTO sanctions_changes
    SELECT $load_id, $list,
           CASE WHEN old.id IS NULL THEN 'added' WHEN new.id IS NULL THEN 'removed'
                ELSE 'changed' END,
           coalesce(new.id, old.id), coalesce(new.schema, old.schema),
           coalesce(new.names, old.names)[1], coalesce(new.imo, old.imo),
           coalesce(new.programs, old.programs), coalesce(new.entity, old.entity),
           CASE WHEN new.id IS NOT NULL AND old.id IS NOT NULL THEN old.entity END
    FROM (SELECT * FROM sanctions_entities WHERE list = $list) AS old
    FULL JOIN new_entities AS new ON old.id = new.id
    WHERE old.id IS NULL OR new.id IS NULL OR old.fingerprint <> new.fingerprint
"""


def load_list(
    store: Store, path: str | Path, fmt: ListFormat | str | None = None,
    as_of: date | None = None, name: str | None = None,
) -> LoadSummary:
    """Read a list file and make it the current version of its list (`name`, default: format)."""
    store.require_writable("load a sanctions list")
    path = Path(path)
    if not path.is_file():
        raise UnreadableInputError(f"{path}: no such file")
    try:
        fmt = ListFormat(fmt) if fmt else sniff_format(path)
    except ValueError as exc:
        raise ParamsError(f"--list {fmt}: not a list format; use ofac, un or ftm") from exc
    list_name = name or str(fmt)
    sha256, size = file_sha256(path), path.stat().st_size
    con = store.con
    last = con.execute(
        "SELECT load_id, sha256, as_of FROM sanctions_loads WHERE list = ? "
        "ORDER BY load_id DESC LIMIT 1", [list_name]).fetchall()
    if last and last[0][1] == sha256 and as_of in (None, last[0][2]):
        return _unchanged(store, int(last[0][0]))
    result = READERS[fmt](path, list_name)
    as_of = as_of or result.published
    vessels = sum(1 for e in result.entities if e.schema == "Vessel")
    summary = LoadSummary(list_name, str(fmt), str(path), None, False, result.rows_read,
                          len(result.entities), vessels, result.skipped, as_of=as_of)
    _store_load(store, result, summary, sha256, size, int(last[0][0]) if last else None)
    return summary


def _unchanged(store: Store, load_id: int) -> LoadSummary:
    """The summary of a reload of the list's last file: nothing read, nothing written."""
    row = store.con.execute(
        """SELECT list, format, path, rows_read, entities, vessels, skipped_rows, as_of
           FROM sanctions_loads WHERE load_id = ?""", [load_id]).fetchall()[0]
    skipped = [SkippedRow(**s) for s in json.loads(row[6])]
    return LoadSummary(row[0], row[1], row[2], None, True, int(row[3]), int(row[4]),
                       int(row[5]), skipped, previous_load_id=load_id, as_of=row[7])


def _store_load(store: Store, result: ReadResult, summary: LoadSummary, sha256: str, size: int,
                previous: int | None) -> None:
    con = store.con
    load_id = int(con.execute(
        "SELECT coalesce(max(load_id), 0) + 1 FROM sanctions_loads").fetchall()[0][0])
    first_load = dict(con.execute(
        "SELECT id, first_load_id FROM sanctions_entities WHERE list = ?", [summary.list]
    ).fetchall())
    unique = {e.id: e for e in result.entities}  # a repeated id: the last row wins
    result.entities = list(unique.values())
    params = {"load_id": load_id, "list": summary.list}
    con.begin()
    try:
        con.register("new_entities", _entity_rows(result, load_id, first_load))
        if previous is not None:
            con.execute(_CHANGES_SQL, params)
        counts = dict(con.execute(
            "SELECT change, count(*) FROM sanctions_changes WHERE load_id = ? GROUP BY ALL",
            [load_id]).fetchall())
        con.execute("DELETE FROM sanctions_entities WHERE list = ?", [summary.list])
        con.execute("INSERT INTO sanctions_entities BY NAME SELECT * FROM new_entities")
        con.unregister("new_entities")
        con.execute("DELETE FROM sanctions_links WHERE list = ?", [summary.list])
        con.register("new_links", _link_rows(result, summary.list, load_id))
        con.execute("INSERT INTO sanctions_links BY NAME SELECT * FROM new_links")
        con.unregister("new_links")
        summary.added, summary.removed, summary.changed = (
            int(counts.get(k, 0)) for k in ("added", "removed", "changed"))
        con.execute(
            "INSERT INTO sanctions_loads VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [load_id, summary.list, summary.format, summary.path, sha256, size, summary.as_of,
             result.published, datetime.now(UTC), result.rows_read, len(result.entities),
             summary.vessels, len(result.skipped),
             json.dumps([asdict(s) for s in result.skipped]), previous, summary.added,
             summary.removed, summary.changed, __version__])
        con.commit()
    except BaseException:
        con.rollback()
        raise
    summary.load_id, summary.previous_load_id = load_id, previous
    log.info("list %s: load %d, %d entities (values cleaned by %s)", summary.list, load_id,
             len(result.entities), cleaner()[0])


@dataclass(frozen=True)
class ListChange:
    load_id: int
    list: str
    change: str  # added | removed | changed
    id: str
    schema: str
    name: str | None
    imo: int | None
    programs: builtins.list[str]
    as_of: date | None
    previous_as_of: date | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_changes(
    store: Store, list_name: str | None = None, all_loads: bool = False,
    schema: str | None = None,
) -> builtins.list[ListChange]:
    """Changes recorded by the latest load of each list (every load with `all_loads`)."""
    rows = store.con.execute(
        """SELECT c.load_id, c.list, c.change, c.id, c.schema, c.name, c.imo, c.programs,
                  l.as_of, p.as_of
           FROM sanctions_changes c JOIN sanctions_loads l USING (load_id)
           LEFT JOIN sanctions_loads p ON p.load_id = l.previous_load_id
           WHERE ($list IS NULL OR c.list = $list) AND ($schema IS NULL OR c.schema = $schema)
             AND ($all OR c.load_id = (SELECT max(load_id) FROM sanctions_loads x
                                      WHERE x.list = c.list))
           ORDER BY c.load_id, c.change, c.schema DESC, c.name""",
        {"list": list_name, "schema": schema, "all": all_loads}).fetchall()
    return [ListChange(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], list(r[7] or []), r[8],
                       r[9]) for r in rows]


def list_loads(store: Store, list_name: str | None = None) -> builtins.list[dict[str, Any]]:
    """The load history (newest first), e.g. for `cargotrace sanctions changes`."""
    cur = store.con.execute(
        """SELECT load_id, list, format, path, as_of, published, loaded_at, entities, vessels,
                  skipped, previous_load_id, added, removed, changed
           FROM sanctions_loads WHERE ($list IS NULL OR list = $list) ORDER BY load_id DESC""",
        {"list": list_name})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

