"""Parameters of the silence detectors: AIS gaps and dark voyages.

Both ask the same question of a quiet vessel (was it off, or out of reach?) and both lean on
`CoverageParams` (coverage.py) for when and where the feed hears at all; they live together so a
reviewer challenging a silence finds its knobs side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.detect.params.checks import check_positive
from cargotrace.errors import ParamsError


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

    def __post_init__(self) -> None:
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


@dataclass(frozen=True)
class DarkVoyageParams:
    """Dark voyages: how long, how unexplained, and how close to both ends a silence must be."""

    min_silence_h: float = field(
        default=6.0, metadata={"help": "Shortest silence considered (GFW's gap: 6 h)."}
    )
    baseline_quantile: float = field(
        default=0.99,
        metadata={"help": "The vessel's reception baseline is this quantile of its intervals "
                          "between positions while under way."},
    )
    baseline_factor: float = field(
        default=3.0,
        metadata={"help": "The silence must last at least this many times the baseline."},
    )
    underway_min_sog_kn: float = field(
        default=1.0,
        metadata={"help": "Intervals whose two positions both move at least this fast form "
                          "the baseline."},
    )
    slow_max_sog_kn: float = field(
        default=1.0,
        metadata={"help": "Below this speed the vessel is stopped or drifting: its voyage "
                          "begins when it was last this slow."},
    )
    max_visible_departure_h: float = field(
        default=2.0,
        metadata={"help": "The silence must begin within this long after the vessel was last "
                          "slow (it went dark as the voyage began)."},
    )
    max_visible_arrival_h: float = field(
        default=2.0,
        metadata={"help": "... and end within this long before it entered the next port."},
    )

    def __post_init__(self) -> None:
        for name in ("min_silence_h", "baseline_factor", "max_visible_departure_h",
                     "max_visible_arrival_h"):
            if not getattr(self, name) > 0:
                raise ParamsError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0 < self.baseline_quantile <= 1:
            raise ParamsError(f"baseline_quantile must be in (0, 1], got "
                              f"{self.baseline_quantile}")
        if self.underway_min_sog_kn < 0 or self.slow_max_sog_kn < 0:
            raise ParamsError("underway_min_sog_kn and slow_max_sog_kn must be >= 0")
