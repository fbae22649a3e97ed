"""Parameters of what a vessel says about itself: shared MMSIs, position jumps, identity and
draught changes.

Together because they judge the same reported track: whether one MMSI is one ship, and what
changed in its reports (name, flag, draught) across a silence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.errors import ParamsError


@dataclass(frozen=True)
class IdentityParams:
    """Shared MMSIs, position jumps and identity changes."""

    max_speed_kn: float = field(
        default=30.0,
        metadata={"help": "Fastest plausible speed between two positions of one ship "
                          "(DESIGN: 30 kn; high-speed craft may need more)."},
    )
    min_jump_km: float = field(
        default=5.0,
        metadata={"help": "Shorter moves are never impossible: GPS noise and timestamp jitter "
                          "give absurd speeds over metres."},
    )
    min_overlap_h: float = field(
        default=1.0,
        metadata={"help": "Two segments transmitting at once for this long are two ships "
                          "(a shared MMSI)."},
    )
    max_segment_gap_h: float = field(
        default=24.0,
        metadata={"help": "A segment silent for longer is closed: a jump can no longer join it "
                          "(GFW's segmenter: 24 h)."},
    )
    max_teleport_positions: int = field(
        default=2,
        metadata={"help": "A segment of 2 to this many positions, inside another segment's "
                          "track, is a sustained position jump (teleport), not a ship (one "
                          "position alone is a lone outlier: flagged, not an event)."},
    )

    def __post_init__(self) -> None:
        for name in ("max_speed_kn", "min_jump_km", "min_overlap_h", "max_segment_gap_h"):
            value = getattr(self, name)
            if not value > 0:
                raise ParamsError(f"{name} must be > 0, got {value}")
        if self.max_teleport_positions < 2:
            raise ParamsError(
                f"max_teleport_positions must be >= 2, got {self.max_teleport_positions}"
            )


@dataclass(frozen=True)
class DraughtChangeParams:
    """Draught changes: the smallest change in reported draught across a silence."""

    min_change_m: float = field(
        default=0.5,
        metadata={"help": "Report a change of at least this many metres (AIS draught has a "
                          "0.1 m step and is typed in by the crew)."},
    )

    def __post_init__(self) -> None:
        if not self.min_change_m > 0:
            raise ParamsError(f"min_change_m must be > 0, got {self.min_change_m}")
