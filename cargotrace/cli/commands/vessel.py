"""`cargotrace vessel QUERY`: one vessel's identities, sanctions hits, owners, events, practices.

Python API twin: `cargotrace.screen.profile.vessel_profile` (JSON: docs/reference/vessel-json.md).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from cargotrace.cli.app import JsonOption, ReadStoreOption, app, open_cli_store, out, print_json
from cargotrace.screen.params import EVENTS_PER_KIND

SHOW_EVENTS = 15


@app.command()
def vessel(
    query: Annotated[str, typer.Argument(help="IMO number, MMSI or name.")],
    store: ReadStoreOption = None,
    events_per_kind: Annotated[
        int, typer.Option(help="Latest events shown per kind.")
    ] = EVENTS_PER_KIND,
    json_out: JsonOption = False,
) -> None:
    """Is this ship sanctioned, who is behind it, and what has it been doing?"""
    from cargotrace.screen.profile import vessel_profile

    with open_cli_store(store, write=False, read_only=True) as st:
        profile = vessel_profile(st, query, events_per_kind=events_per_kind)
    if json_out:
        print_json(profile)
        return
    for table in render(profile):
        out.print(table)


def _values(items: list[dict[str, Any]]) -> str:
    return ", ".join(f"{i['value']} ({i['first_ts']:%Y-%m-%d}..{i['last_ts']:%Y-%m-%d})"
                     for i in items)


def render(p: dict[str, Any]) -> list[Table | str]:
    """The profile as the screen shows it: a heading, notes, then one table per section."""
    q = p["query"]
    head = f"{q['kind'].upper()} {q['text']}: " + (
        f"{len(p['identities'])} MMSI(s) in the store" if p["found_in_store"]
        else "not seen in the store")
    parts: list[Table | str] = [head]
    if q["kind"] == "imo" and not q["imo_check_digit_ok"]:
        parts.append("  note: this IMO number fails the check digit")
    if p["ambiguous"]:
        parts.append("  note: several different ships answer this name; ask by IMO or MMSI")
    if p["identities"]:
        parts.append(_identities_table(p["identities"]))
    parts.append(_sanctions_table(p["sanctions"]))
    if p["owners"]:
        parts.append(_owners_table(p["owners"]))
    parts.append(_events_table(p["events"], p["events_total"]))
    parts.append(_practices_table(p["practices"]))
    return parts


def _identities_table(identities: list[dict[str, Any]]) -> Table:
    t = Table(title="Identities")
    for col in ("MMSI", "flag", "names", "IMO", "call signs", "first seen", "last seen"):
        t.add_column(col)
    for i in identities:
        t.add_row(str(i["mmsi"]), i["flag"] or "", _values(i["names"]), _values(i["imos"]),
                  _values(i["callsigns"]), str(i["first_seen"] or ""),
                  str(i["last_seen"] or ""))
    return t


def _sanctions_table(hits: list[dict[str, Any]]) -> Table:
    t = Table(title=f"Sanctions hits ({len(hits)})")
    for col in ("match", "score", "list", "program", "listed on", "entity", "IMO", "reasons"):
        t.add_column(col)
    for h in hits:
        t.add_row(h["match"], f"{h['score']:.2f}", h["list"], h["program"],
                  str(h["listed_on"] or "—"), f"{h['entity_name']} ({h['entity_id']})",
                  str(h["imo"] or ""), "\n".join(h["reasons"]))
    return t


def _owners_table(owners: list[dict[str, Any]]) -> Table:
    t = Table(title="Owners and linked parties (from the lists)")
    for col in ("vessel entry", "relation", "party", "listed as"):
        t.add_column(col)
    for o in owners:
        t.add_row(o["vessel_entity_id"], o["relation"], o["name"], ", ".join(
            f"{x['list']} {x['id']} ({', '.join(x['programs'])})" for x in o["listed"]))
    return t


def _events_table(events: list[dict[str, Any]], total: int) -> Table:
    t = Table(title=f"Events (latest {min(SHOW_EVENTS, len(events))} of {total})")
    for col in ("start", "end", "kind", "MMSI", "place", "event_id"):
        t.add_column(col)
    for e in events[:SHOW_EVENTS]:
        t.add_row(str(e["start"]), str(e["end"] or ""), e["kind"], str(e["mmsi"]),
                  e["place_id"] or "", e["event_id"])
    return t


def _practices_table(practices: list[dict[str, Any]]) -> Table:
    t = Table(title="Deceptive shipping practices (US advisory, May 2020)")
    for col in ("practice", "status", "behind it", "rule"):
        t.add_column(col)
    for pr in practices:
        behind = pr["evidence"] + [f"{len(pr['event_ids'])} event(s)"] * bool(pr["event_ids"])
        if pr["not_detected"]:
            behind.append(f"never detected: {', '.join(pr['not_detected'])}")
        if pr.get("undetectable") and pr.get("looked") and not pr["event_ids"]:
            behind.append(f"not seen by {', '.join(pr['looked'])}")
        for kind, why in pr.get("undetectable", {}).items():  # the run's own notes
            behind.append(f"{kind} could not be detected: {'; '.join(why)}")
        t.add_row(pr["title"], pr["status"], "\n".join(behind), pr["rule"])
    return t
