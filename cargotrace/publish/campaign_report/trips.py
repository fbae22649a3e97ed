"""The campaign's trips for the report: a timeline per vessel and one table row per trip, each
call marked by how it was evidenced.

Why per vessel: claims are tested against what each ship could carry, and a reader checks a
count by looking at one ship's run of trips. A trip from the file is drawn at the date it is
counted (and its entry's period as a pale window behind: the evidence dates the trips only that
closely); a trip in a stored shuttle event (alone, or corroborating a file trip) is drawn as its
two calls, coloured by how each was evidenced (port visit seen in AIS, possible dark port call
inferred from a gap, imagery).
"""

from __future__ import annotations

from typing import Any

from cargotrace.cases.campaign.build import CampaignResult
from cargotrace.cases.campaign.claims import day_end, day_start
from cargotrace.publish.report.timeline import TimelineItem, render_timeline
from cargotrace.publish.report.times import as_utc, fmt_span, fmt_window

__all__ = ["CALL_CSS", "HOW_WORDS", "call_words", "trip_rows", "trips_timeline"]

HOW_WORDS = {"port_visit": "port visit seen in AIS",
             "possible_dark_port_call": "possible dark port call (inferred from an AIS gap)",
             "imagery": "imagery sighting"}
CALL_CSS = {"port_visit": "port_visit", "possible_dark_port_call": "possible_dark_port_call",
            "imagery": "shuttle"}


def call_words(call: dict[str, Any]) -> str:
    how = HOW_WORDS.get(str(call.get("how")), str(call.get("how")))
    places = ", ".join(call.get("place_ids") or [])
    return f"{places}: {how}, {fmt_span(call.get('start'), call.get('end'))}"


def trips_timeline(result: CampaignResult, labels: dict[str, str]) -> str:
    """The SVG timeline: one group per vessel, rows per corridor (file trips, their entries'
    periods, AIS calls)."""
    c = result.campaign
    entries = {e.id: e for e in c.trips}
    items: list[TimelineItem] = []
    windows: set[tuple[str, str]] = set()
    for t in result.trips:
        group = f"Trips · {labels.get(t.vessel, t.vessel)}"
        if t.source == "file":
            entry = entries[t.entry]
            if (t.vessel, entry.id) not in windows:
                windows.add((t.vessel, entry.id))
                items.append(TimelineItem(
                    f"period:{t.vessel}:{entry.id}", group, f"{t.corridor} · evidence period",
                    entry.period[0], entry.period[1], "leg-window",
                    f"{entry.id}: {entry.round_trips} round trip(s) over "
                    f"{fmt_window(*entry.period)} ({', '.join(entry.evidence)})"))
            items.append(TimelineItem(
                t.trip_id, group, f"{t.corridor} · trips from the file", t.at, t.at,
                "evidence", f"{t.trip_id}: counted {t.at:%d %b %Y}, weight {t.weight:.2f} "
                            f"(evidence {', '.join(t.evidence)})"))
        for k, call in enumerate(t.calls):
            items.append(TimelineItem(
                f"{t.trip_id}:call{k + 1}", group, f"{t.corridor} · calls in AIS",
                as_utc(call["start"]), as_utc(call.get("end") or call["start"]),
                CALL_CSS.get(str(call.get("how")), "event"),
                f"{t.trip_id} {'departure' if k == 0 else 'arrival'}: {call_words(call)}"))
    end = max([t.at for t in result.trips] + [day_end(cl.by) for cl in c.claims]
              + [day_start(c.start)])
    return render_timeline(items, 3.0, (day_start(c.start), end))


def trip_rows(result: CampaignResult, labels: dict[str, str]) -> list[dict[str, Any]]:
    """One row per trip, in date order: who, where, when, how much it counts, how evidenced."""
    kinds = {e.id: e.kind.value.replace("_", " ") for e in result.campaign.evidence}
    rows = []
    for t in result.trips:
        said = [f"{kinds[e]} {e}" for e in t.evidence if e in kinds]
        how = "; ".join(
            ([f"file entry {t.entry}: {', '.join(said)}"] if t.source == "file" else [])
            + [("departure " if k == 0 else "arrival ") + call_words(call)
               for k, call in enumerate(t.calls)])
        rows.append({"trip_id": t.trip_id, "vessel": labels.get(t.vessel, t.vessel),
                     "corridor": t.corridor, "at": f"{as_utc(t.at):%d %b %Y}",
                     "weight": f"{t.weight:.2f}", "source": t.source,
                     "evidence": ", ".join(t.evidence), "how": how})
    return rows
