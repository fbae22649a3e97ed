"""UN Security Council Consolidated List (XML, schema https://www.un.org/sc/resources/sc-sanctions.xsd).

The list has `<INDIVIDUAL>` and `<ENTITY>` records but no ship records (the 1718 Committee's
DPRK vessel designations are a separate list): individuals become FtM Person entities and
entities Organization entities, so vessel owners and operators named elsewhere can be matched
against them. Each record keeps its regime (`UN_LIST_TYPE`, e.g. DPRK) as the program, its
reference number (e.g. KPe.022) and its listing date (`LISTED_ON`). Company IMO numbers quoted in
the comments ("IMO Number: 5342883") are kept when their company check digit is right.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

from cargotrace.errors import UnreadableInputError
from cargotrace.ftm import make_entity
from cargotrace.screen.imo import company_imo_ok
from cargotrace.screen.records import ListEntity, ReadResult, SkippedRow

_IMO_IN_TEXT = re.compile(r"IMO\)?\s*(?:Number)?\s*:?\s*(\d{7})", re.IGNORECASE)
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def _text(node: ET.Element, tag: str) -> str:
    found = node.find(tag)
    return " ".join((found.text or "").split()) if found is not None else ""


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _record(node: ET.Element, schema: str, list_name: str, source: str, row: int) -> ListEntity:
    proxy = make_entity(schema)
    proxy.id = f"{list_name}-{_text(node, 'DATAID')}"
    proxy.add("name", " ".join(p for p in (_text(node, t) for t in _NAME_PARTS) if p))
    original = _text(node, "NAME_ORIGINAL_SCRIPT")
    if original:
        proxy.add("alias", original)
    for alias in node.iter(f"{node.tag}_ALIAS"):
        name, quality = _text(alias, "ALIAS_NAME"), _text(alias, "QUALITY").lower()
        if name:
            proxy.add("weakAlias" if quality == "low" else "alias", name, quiet=True)
    reference = _text(node, "REFERENCE_NUMBER")
    proxy.add("programId", reference, quiet=True)
    programs = [p for p in [_text(node, "UN_LIST_TYPE")] if p]
    proxy.add("program", programs, quiet=True)
    proxy.add("topics", "sanction")
    comments = _text(node, "COMMENTS1")
    proxy.add("notes", comments, quiet=True)
    if schema == "Person":
        for nat in node.iter("NATIONALITY"):
            proxy.add("nationality", _text(nat, "VALUE"), quiet=True)
    else:
        for address in node.iter(f"{node.tag}_ADDRESS"):
            proxy.add("country", _text(address, "COUNTRY"), quiet=True)
        for number in _IMO_IN_TEXT.findall(comments):
            if company_imo_ok(number):
                proxy.add("imoNumber", f"IMO{number}", quiet=True)
    return ListEntity(proxy, list_name, programs, _date(_text(node, "LISTED_ON")), source, row)


def read_un_xml(path: Path, list_name: str = "un") -> ReadResult:
    """Persons and organisations of the consolidated list; records without id or name skipped."""
    try:
        root = ET.parse(path).getroot()
    except OSError as exc:
        raise UnreadableInputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except ET.ParseError as exc:
        raise UnreadableInputError(f"{path}: not well-formed XML ({exc}); "
                                   "expected the UN consolidated list XML") from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise UnreadableInputError(
            f"{path}: not a UN consolidated list (root element <{root.tag}>, expected "
            "<CONSOLIDATED_LIST>); use --list ofac or --list ftm for other lists")
    entities: list[ListEntity] = []
    skipped: list[SkippedRow] = []
    rows_read = 0
    for tag, schema in (("INDIVIDUAL", "Person"), ("ENTITY", "Organization")):
        for node in root.iter(tag):
            rows_read += 1
            if not _text(node, "DATAID") or not _text(node, "FIRST_NAME"):
                skipped.append(SkippedRow(rows_read, "no_id_or_name",
                                          f"<{tag}> without DATAID or FIRST_NAME"))
                continue
            entities.append(_record(node, schema, list_name, path.name, rows_read))
    published = _date(root.get("dateGenerated", ""))
    return ReadResult("un", rows_read, entities, skipped, published)
