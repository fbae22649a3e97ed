"""OFAC SDN list, legacy `sdn.csv`: one row per listed person, entity, vessel or aircraft.

Format (../shared/data/sanctions/PROVENANCE.md): UTF-8, no header, 12 columns `ent_num, SDN_Name,
SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks`,
`-0- ` for empty; several programs are joined as `A] [B`. Vessels keep their identifiers in the
remarks: `Vessel Registration Identification IMO 9179842`, `MMSI 273382620`, `a.k.a. 'X'`,
`Linked To: M LEASING LLC.`, `Former Vessel Flag Malta`, `Vessel Year of Build 1986`.

The legacy CSV has **no listing date**: `listed_on` stays NULL (the load's `--as-of` date is the
date of the list, not of each designation; see docs/concepts/screening.md). The file OFAC
publishes may end with a Ctrl-Z (0x1A) end-of-file byte, which is not a record.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

from cargotrace.errors import UnreadableInputError
from cargotrace.ftm import make_entity
from cargotrace.screen.imo import parse_imo, valid_mmsi
from cargotrace.screen.records import ListEntity, ReadResult, SkippedRow
from cargotrace.screen.records import ownership_link as _link
from cargotrace.store.names import normalise_name

COLUMNS = ("ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign", "Vess_type",
           "Tonnage", "GRT", "Vess_flag", "Vess_owner", "Remarks")
SCHEMAS = {"vessel": "Vessel", "individual": "Person", "aircraft": "Airplane", "": "Organization"}
EOF_MARKER = "\x1a"

_AKA = re.compile(r"\b([afn])\.k\.a\.\s*'([^']+)'")
_REMARK_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Vessel Registration Identification\s+(?:IMO\s+)?(.+)$"), "registration"),
    (re.compile(r"^MMSI\s+(\d+)$"), "mmsi"),
    (re.compile(r"^Linked To:\s*(.+)$"), "linked_to"),
    (re.compile(r"^(?:alt\.\s+)?Former Vessel Flag\s+(.+)$"), "pastFlags"),
    (re.compile(r"^(?:alt\.\s+)?Other Vessel Flag\s+(.+)$"), "flag"),
    (re.compile(r"^(?:alt\.\s+)?Other Vessel Type\s+(.+)$"), "type"),
    (re.compile(r"^Vessel Year of Build\s+(\d{4})$"), "buildDate"),
    (re.compile(r"^Identification Number IMO\s+(\d{7})$"), "imoNumber"),
)


def _cell(value: str) -> str:
    value = value.strip()
    return "" if value == "-0-" else value


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableInputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # older OFAC files were Windows-1252


def _split_remarks(remarks: str) -> list[str]:
    return [p.strip().rstrip(".").strip() for p in remarks.split(";") if p.strip()]


def _apply_remarks(entity: ListEntity, remarks: str) -> list[str]:
    """Put what the remarks say into the entity; returns the "Linked To:" names."""
    proxy, linked = entity.proxy, []
    for prefix, alias in _AKA.findall(remarks):
        proxy.add({"a": "alias", "f": "previousName", "n": "name"}[prefix], alias.strip())
    for part in _split_remarks(remarks):
        for pattern, prop in _REMARK_RULES:
            match = pattern.match(part)
            if match is None:
                continue
            value = match.group(1).strip()
            if prop == "registration":
                imo = parse_imo(value)
                proxy.add("imoNumber" if imo else "registrationNumber",
                          f"IMO{imo}" if imo else value, quiet=True)
            elif prop == "mmsi":
                if valid_mmsi(value) is not None:
                    proxy.add("mmsi", value, quiet=True)
            elif prop == "linked_to":
                linked.append(value)
            else:
                proxy.add(prop, value, quiet=True)
            break
        else:
            if not _AKA.search(part):
                proxy.add("notes", part, quiet=True)
    return linked


def _entity(row: list[str], row_no: int, source: str) -> ListEntity:
    cells = [_cell(c) for c in row]
    ent_num, name, sdn_type = cells[0], cells[1], cells[2].lower()
    proxy = make_entity(SCHEMAS.get(sdn_type, "Organization"))
    proxy.id = f"ofac-{ent_num}"
    proxy.add("name", name)
    programs = [p.strip() for p in cells[3].strip("[] ").split("] [") if p.strip()]
    proxy.add("program", programs, quiet=True)
    proxy.add("topics", "sanction")
    if proxy.schema.name == "Vessel":
        for prop, value in (("callSign", cells[5]), ("type", cells[6]), ("tonnage", cells[7]),
                            ("grossRegisteredTonnage", cells[8]), ("flag", cells[9])):
            if value:
                proxy.add(prop, value, quiet=True)
    entity = ListEntity(proxy, "ofac", programs, None, source, row_no)
    return entity


def read_ofac_csv(path: Path, list_name: str = "ofac") -> ReadResult:
    """Entities of an SDN legacy CSV; bad rows are counted in `skipped`, never raised."""
    text = _decode(path)
    rows = list(csv.reader(io.StringIO(text)))
    entities: list[ListEntity] = []
    skipped: list[SkippedRow] = []
    remarks_of: dict[str, tuple[ListEntity, str, str]] = {}
    rows_read = 0
    for row_no, row in enumerate(rows, start=1):
        if not row or row == [EOF_MARKER] or (row_no == 1 and row[0].strip() == "ent_num"):
            continue
        rows_read += 1
        if len(row) != len(COLUMNS):
            skipped.append(SkippedRow(row_no, "wrong_column_count",
                                      f"{len(row)} columns, expected {len(COLUMNS)}"))
            continue
        if not row[0].strip().isdigit() or not _cell(row[1]):
            skipped.append(SkippedRow(row_no, "no_id_or_name", f"ent_num {row[0][:20]!r}"))
            continue
        entity = _entity(row, row_no, path.name)
        entity.list = list_name
        entities.append(entity)
        remarks_of[entity.id] = (entity, _cell(row[11]), _cell(row[10]))
    if entities == [] and rows_read:
        raise UnreadableInputError(
            f"{path}: not an OFAC SDN legacy CSV (no row has the {len(COLUMNS)} columns "
            f"{', '.join(COLUMNS[:3])}, ...); use --list un or --list ftm for other lists")
    if not entities:
        raise UnreadableInputError(f"{path}: no records (empty file)")
    entities += _resolve_links(remarks_of, list_name, path.name)
    return ReadResult("ofac", rows_read, entities, skipped)


def _resolve_links(
    remarks_of: dict[str, tuple[ListEntity, str, str]], list_name: str, source: str
) -> list[ListEntity]:
    """Parse remarks and attach owners: a "Linked To:" name that is itself on the list links to
    that entry; otherwise an unlisted Organization stub is created (returned, to be stored)."""
    by_name = {normalise_name(e.proxy.caption): e.id for e, _, _ in remarks_of.values()
               if e.schema != "Vessel"}
    stubs: dict[str, ListEntity] = {}
    for entity, remarks, owner_cell in remarks_of.values():
        linked = _apply_remarks(entity, remarks)
        if entity.schema != "Vessel":
            continue
        parties = [(n, "linked_to") for n in linked] + ([(owner_cell, "owner")]
                                                         if owner_cell else [])
        for name, relation in parties:
            key = normalise_name(name)
            owner_id = by_name.get(key)
            if owner_id is None:
                stub = stubs.get(key)
                if stub is None:
                    proxy = make_entity("Organization")
                    proxy.id = f"{list_name}-party-{hashlib.sha1(key.encode()).hexdigest()[:12]}"
                    proxy.add("name", name)
                    stub = ListEntity(proxy, list_name, [], None, source, entity.source_row)
                    stubs[key] = stub
                owner_id = stub.id
            entity.links.append(_link(list_name, entity.proxy, owner_id, name, relation))
    return list(stubs.values())
