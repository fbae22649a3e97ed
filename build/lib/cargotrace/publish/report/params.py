"""What goes into a case report, and how much of it.

Why limits at all: a report is read on paper as often as on screen. A map with every hypothesis
or a timeline with every port call of a busy ship stops being readable long before it stops
being complete; the complete record stays in the exports and the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.errors import ParamsError

__all__ = ["ReportParams"]


@dataclass(frozen=True)
class ReportParams:
    """The report's contents and limits (defaults suit an A4 print)."""

    map_hypotheses: int = field(default=3, metadata={
        "help": "Routes of this many best-ranked hypotheses are drawn on the map."})
    table_hypotheses: int = field(default=12, metadata={
        "help": "Hypotheses listed in the ranking table (every one is in the case JSON)."})
    explained_hypotheses: int = field(default=5, metadata={
        "help": "Hypotheses whose full explanation is printed (the best, then the next ones; "
                "named corridors are always explained)."})
    vessel_pad_h: float = field(default=48.0, metadata={
        "help": "AIS tracks and events of the candidate vessels from this many hours before the "
                "first anchor to as long after the last."})
    timeline_pad_d: float = field(default=2.0, metadata={
        "help": "Days of margin either side of the evidence on the timeline."})
    max_vessels: int = field(default=6, metadata={
        "help": "Vessel profiles shown: vessels named in the evidence first, then candidates "
                "from the store by rank."})
    events_per_vessel: int = field(default=12, metadata={
        "help": "Latest events listed in each vessel profile."})

    def __post_init__(self) -> None:
        for name in ("map_hypotheses", "table_hypotheses", "max_vessels", "events_per_vessel"):
            if getattr(self, name) < 1:
                raise ParamsError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.explained_hypotheses < 0:
            raise ParamsError(f"explained_hypotheses must be >= 0, got "
                              f"{self.explained_hypotheses}")
        for name in ("vessel_pad_h", "timeline_pad_d"):
            if getattr(self, name) < 0:
                raise ParamsError(f"{name} must be >= 0, got {getattr(self, name)}")
