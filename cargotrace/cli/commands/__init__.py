"""One module per CLI job; importing one registers its command(s) on `cargotrace.cli.app.app`.

`COMMANDS` is what the app knows before any of them is imported (cli/lazy.py): each top-level
command's name, its module, and the summary `cargotrace --help` lists, in the order typer
lists them (commands, then groups, each in the order their modules used to be imported).
tests/test_cli_lazy.py checks it against the modules: same names, order and summaries.
"""

from __future__ import annotations

from cargotrace.cli.lazy import LazyCommand

_PACKAGE = "cargotrace.cli.commands"


def _command(name: str, module: str, summary: str) -> LazyCommand:
    return LazyCommand(name, f"{_PACKAGE}.{module}", summary)


COMMANDS = (
    _command("demo", "demo",
             "Simulate the sea-of-japan-2023 scenario, ingest its NMEA, detect, screen, build "
             "the\nreference case (Najin → Dunay → Tikhoretsk, 2023) and write its report. "
             "Ends with the\nreport's path, the store's, and an `export CARGOTRACE_STORE=...` "
             "line to paste so that\nlater commands (the README's examples) read the demo's "
             "store."),
    _command("detect", "detect",
             "Detect behaviour events and replace those of the same kinds and time range."),
    _command("events", "detect", "List stored events as a table, CSV, JSON or GeoJSON."),
    _command("evaluate", "evaluate",
             "Score detected events against ground truth: TP, FP, FN, precision, recall per "
             "kind."),
    _command("export", "export",
             "Write events, or one vessel's track, events and sanctions entities, in a standard "
             "format."),
    _command("ingest", "ingest",
             "Validate, deduplicate and store AIS records; bad records go to the quarantine "
             "table."),
    _command("report", "report",
             "Write the case report: map, timeline, ranked hypotheses, evidence with sources, "
             "vessel\nprofiles and methods, in one HTML file that opens offline and prints on "
             "A4."),
    _command("route", "route",
             "The k fastest routes FROM -> TO by sea lanes, rail and ferries, with P10/P50/P90 "
             "times."),
    _command("screen", "screen",
             "Screen every vessel seen in the store; replace the sanction_match events."),
    _command("simulate", "simulate",
             "Write positions, static reports, ground truth (and evidence, or a campaign file) "
             "for a\nscenario."),
    _command("vessel", "vessel",
             "Is this ship sanctioned, who is behind it, and what has it been doing?"),
    _command("vessels", "vessels",
             "Per MMSI: names, IMO, call signs, flag (from the MID), first/last seen, "
             "positions."),
    _command("places", "places",
             "Load and list the places (ports, terminals, crossings) we watch."),
    _command("campaign", "campaign", "Test volume claims against the trips of a campaign file."),
    _command("case", "case", "Reconstruct a shipment from a case file of graded evidence."),
    _command("lake", "lake", "Housekeeping of a lake store (lake:DIR): compact and vacuum."),
    _command("sanctions", "sanctions",
             "Load sanctions lists (OFAC, UN, FollowTheMoney) and see what changed."),
)
