"""Detector parameters: one frozen dataclass per detector, units in every name.

Defaults follow Global Fishing Watch's published definitions (DESIGN.md, "Behaviour
definitions"); named presets live in `presets.py`. Every event records the preset name and the
values used (`events.params`), so a finding can be reproduced or challenged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.errors import ParamsError


def check_positive(**values: float) -> None:
    """ParamsError naming the first value that is not > 0 (shared by every params class)."""
    for name, value in values.items():
        if not value > 0:
            raise ParamsError(f"{name} must be > 0, got {value}")


@dataclass(frozen=True)
class GapParams:
    """AIS gaps: silences long enough to matter, and which of them look deliberate."""

    min_gap_h: float = field(
        default=6.0, metadata={"help": "Shortest silence reported as a gap (GFW: 6 h)."}
    )
    disabling_min_gap_h: float = field(
        default=12.0, metadata={"help": "A likely disabling lasts at least this long (GFW: 12 h)."}
    )
    disabling_min_offshore_nm: float = field(
        default=50.0,
        metadata={"help": "... and starts at least this far from shore (GFW: 50 nm)."},
    )
    received_window_h: float = field(
        default=12.0, metadata={"help": "Hours before a gap over which reception is judged."}
    )
    min_positions_before: int = field(
        default=10,
        metadata={"help": "Positions in that window that make a vessel 'well received'."},
    )
    max_speed_kn: float = field(
        default=20.0,
        metadata={"help": "Fastest plausible speed when testing which places a gap could hide: "
                          "the cap on a vessel's own speed, and the speed used when its own is "
                          "unknown."},
    )
    moving_min_kn: float = field(
        default=3.0,
        metadata={"help": "Reported speeds from this up count as sailing when a vessel's own "
                          "speed is measured (received_window_h before and after a gap)."},
    )
    speed_margin: float = field(
        default=1.1,
        metadata={"help": "A vessel may sail this much faster than its own mean sailing speed "
                          "while silent (1.1: 10%); the result is capped at max_speed_kn."},
    )
    seen_call_window_h: float = field(
        default=6.0,
        metadata={"help": "A place the vessel is seen visiting this close before or after a gap "
                          "is not a possible dark call in it: that visit was seen."},
    )
    min_port_stay_h: float = field(
        default=4.0,
        metadata={"help": "Shortest stay a possible dark port call must allow for: loading or "
                          "unloading takes hours; a call that fits only as a brief stop rests "
                          "on the vessel sailing flat out all through its silence."},
    )
    call_place_kinds: str = field(
        default="seaport,anchorage,naval_base",
        metadata={"help": "Kinds of watched place a ship can call at (comma-separated): a "
                          "depot, rail terminal, border crossing or chokepoint is never a port "
                          "call, however reachable."},
    )
    coverage_min_hour_fraction: float = field(
        default=0.1,
        metadata={"help": "An hour hearing fewer vessels than this share of the busiest hour was "
                          "not observed: its silence does not count in gaps."},
    )
    coverage_min_busy_hour_vessels: int = field(
        default=20,
        metadata={"help": "Judge coverage only when the busiest hour hears at least this many "
                          "vessels (otherwise every hour counts as observed)."},
    )

    def __post_init__(self) -> None:
        if not 0 <= self.coverage_min_hour_fraction <= 1:
            raise ParamsError("coverage_min_hour_fraction must be between 0 and 1")
        check_positive(min_gap_h=self.min_gap_h, disabling_min_gap_h=self.disabling_min_gap_h,
                  received_window_h=self.received_window_h, max_speed_kn=self.max_speed_kn,
                  speed_margin=self.speed_margin)
        if self.moving_min_kn < 0 or self.seen_call_window_h < 0:
            raise ParamsError("moving_min_kn and seen_call_window_h must be >= 0")
        if self.disabling_min_gap_h < self.min_gap_h:
            raise ParamsError("disabling_min_gap_h must be >= min_gap_h")
        if self.min_positions_before < 0 or self.min_port_stay_h < 0:
            raise ParamsError("min_positions_before and min_port_stay_h must be >= 0")
        if not self.call_kinds:
            raise ParamsError("call_place_kinds must name at least one place kind")

    @property
    def call_kinds(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.call_place_kinds.split(",") if k.strip())
