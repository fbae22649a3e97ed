"""How much data around `[since, until)` a windowed detect reads, per kind, and which of the
events it finds it keeps.

Why: `detect --since S --until U` used to read positions in exactly [S, U) and replace the
stored events of that range, so an event crossing S or U was cut (a gap became two halves, an
open gap appeared at U, a port visit lost its start). Now every kind declares how far before S
(`back`) and after U (`ahead`) it must see to find an event that starts in [S, U) as a full
detect finds it: the silence's closing fix, the visit's arrival, the voyage's ports. The run
reads [S - back, U + ahead] (the largest margin of the kinds it runs, their inputs included),
detects on it, and `store_events` keeps only the events that START in [S, U), the same rule
it deletes by (enforced there, once, as `replace_flags` does for the positions' flags), so a
re-detect of a window replaces exactly the events a full detect would store there, and an
event that starts before S (found by an earlier run) is left alone.

Where equality with a full detect cannot hold: an event longer than its kind's look-ahead (it
is cut at U + ahead, or left open there), and what is judged from the whole run's data (the
feed coverage model: its busiest hour, its footprint; the encounters' crowded-cell counts),
which only the margin's data inform. The margins below are caps chosen above what the presets
find in practice; raise them (`--set window.gap_h=480`, `WindowMargins` in
`detect.params`) for longer events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cargotrace.detect.kinds import EventKind
from cargotrace.detect.presets import Preset
from cargotrace.errors import ParamsError


@dataclass(frozen=True)
class Margin:
    """How far before a window's start and after its end a kind must read."""

    back: timedelta
    ahead: timedelta

    def __or__(self, other: Margin) -> Margin:
        return Margin(max(self.back, other.back), max(self.ahead, other.ahead))

    def to_dict(self) -> dict[str, float]:
        return {"back_h": self.back / timedelta(hours=1),
                "ahead_h": self.ahead / timedelta(hours=1)}


def margin_of(kind: EventKind, preset: Preset) -> Margin:
    """The margin `kind` needs under `preset` (`preset.window` for the caps), its inputs'
    margins included: dark voyages read the port visits and gaps, so they read theirs too."""
    caps, hours = preset.window, timedelta(hours=1)
    silence_back = hours * (preset.gap.received_window_h
                            + max(preset.coverage.outage_lead_h,
                                  preset.coverage.exit_outage_lead_h))
    gap = Margin(silence_back, hours * caps.gap_h)
    visit = Margin(hours * caps.port_visit_h,
                   hours * max(caps.port_visit_h, preset.port_visit.open_max_silence_h))
    segment_h = hours * (preset.identity.max_segment_gap_h + preset.identity.min_overlap_h)
    # every kind reads identity-segmented positions: their segments need this much
    segments = Margin(segment_h, segment_h)
    identity = segments | Margin(hours * caps.identity_h, hours * caps.identity_h)
    dark_call = gap | visit | Margin(hours * preset.gap.seen_call_window_h,
                                     hours * preset.gap.seen_call_window_h)
    voyage = visit | gap | Margin(hours * caps.voyage_h, hours * caps.voyage_h)
    meeting_h = hours * (caps.meeting_h + max(preset.encounter.max_interpolate_gap_h,
                                              preset.loitering.max_interpolate_gap_h))
    shuttle_h = hours * 24 * preset.shuttle.max_trip_d * preset.shuttle.min_trips
    own = {
        EventKind.IDENTITY: identity,
        EventKind.GAP: gap,
        EventKind.LEFT_COVERAGE: gap,
        EventKind.PORT_VISIT: visit,
        EventKind.POSSIBLE_DARK_PORT_CALL: dark_call,
        EventKind.DARK_VOYAGE: voyage,
        EventKind.DRAUGHT_CHANGE: voyage,
        EventKind.ENCOUNTER: Margin(meeting_h, meeting_h),
        EventKind.LOITERING: Margin(meeting_h, meeting_h),
        EventKind.SHUTTLE: dark_call | Margin(shuttle_h, shuttle_h),
    }[kind]
    return own | segments


def read_range(kinds: list[EventKind], preset: Preset, since: datetime | None,
               until: datetime | None) -> tuple[datetime | None, datetime | None, Margin]:
    """[since - back, until + ahead] for the largest margin of `kinds`, and that margin."""
    if since is not None and until is not None and since >= until:
        raise ParamsError(f"--since {since.isoformat()} is not before --until "
                          f"{until.isoformat()}: the window would be empty")
    margin = Margin(timedelta(0), timedelta(0))
    for kind in kinds:
        margin = margin | margin_of(kind, preset)
    try:
        return (None if since is None else since - margin.back,
                None if until is None else until + margin.ahead, margin)
    except OverflowError as exc:
        raise ParamsError(f"the window's margins ({margin.back} back, {margin.ahead} ahead) "
                          "reach past the calendar; lower the window.* parameters") from exc


def window_record(since: datetime | None, until: datetime | None, read_since: datetime | None,
                  read_until: datetime | None, margin: Margin) -> dict[str, Any]:
    """What a run's provenance says about its window: the window kept, the range read."""
    def iso(t: datetime | None) -> str | None:
        return None if t is None else t.isoformat()
    return {"since": iso(since), "until": iso(until), "read_since": iso(read_since),
            "read_until": iso(read_until), "margin": margin.to_dict()}
