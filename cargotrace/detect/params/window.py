"""How far around its window a windowed detect reads (`detect --since/--until`).

Why parameters: a gap, a port visit or a meeting has no length bound of its own, so a windowed
re-detect must be told how long an event it should still find whole; an event longer than
its cap is cut at the margin's end (or left open there), where a full detect finds it whole.
Kinds with a bound in their own parameters (identity's segment gap, a shuttle's trips) add it.
How the margins are combined: `cargotrace.detect.window`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.errors import ParamsError


@dataclass(frozen=True)
class WindowMargins:
    """The caps a windowed detect reads around its window, for the kinds whose events have no
    length bound of their own (a gap, a visit, a meeting can last any time). Kinds with a
    bound in their parameters (identity's segment gap, a shuttle's trips) use it."""

    gap_h: float = field(
        default=7 * 24.0,
        metadata={"help": "Longest silence a windowed detect closes as a full detect does: it "
                          "reads this far after the window to find the fix that ends a gap "
                          "(or a coverage exit) that starts in it; longer ones stay open."},
    )
    port_visit_h: float = field(
        default=14 * 24.0,
        metadata={"help": "Longest port visit found whole: read this far before the window "
                          "(a ship already in port at its start) and after it (its departure)."},
    )
    meeting_h: float = field(
        default=3 * 24.0,
        metadata={"help": "Longest encounter or loitering found whole, before and after the "
                          "window."},
    )
    identity_h: float = field(
        default=30 * 24.0,
        metadata={"help": "How far an identity event is judged on each side of the window: a "
                          "shared MMSI's overlap is measured, and a name or call-sign change's "
                          "reports after it counted, over this much data (with at least "
                          "identity.max_segment_gap_h + min_overlap_h before it)."},
    )
    voyage_h: float = field(
        default=30 * 24.0,
        metadata={"help": "Longest dark voyage found whole: read this far before the window (the "
                          "port it left) and after it (the port it reached)."},
    )

    def __post_init__(self) -> None:
        for name in ("gap_h", "port_visit_h", "meeting_h", "identity_h", "voyage_h"):
            if getattr(self, name) < 0:
                raise ParamsError(f"window margin {name} must be >= 0")
