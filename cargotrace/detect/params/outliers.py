"""Parameters of the outlier scan: which single positions are glitches.

Apart from identity.py because outliers are removed before every detector runs, while identity
findings are events; the speeds and distances deliberately default to identity's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.detect.params.checks import check_positive
from cargotrace.detect.params.identity import IdentityParams
from cargotrace.errors import ParamsError


@dataclass(frozen=True)
class OutlierParams:
    """Which single positions are glitches (flagged and left out of every detector)."""

    enabled: bool = field(
        default=True,
        metadata={"help": "Flag lone outliers and leave them out of detection. Off, a run "
                          "skips the scan (one sort of the positions, which a gap-only run "
                          "otherwise does without) and glitches count as behaviour."},
    )
    max_speed_kn: float = field(
        default=30.0,
        metadata={"help": "Fastest plausible speed between two positions of one ship (as "
                          "identity.max_speed_kn): a position reachable from its track at this "
                          "speed is never an outlier."},
    )
    min_jump_km: float = field(
        default=5.0,
        metadata={"help": "Shorter moves are never impossible (GPS noise, timestamp jitter), "
                          "as identity.min_jump_km."},
    )
    at_track_ends: bool = field(
        default=True,
        metadata={"help": "Also flag the positions that open or close an MMSI's track when "
                          "the track on their one side cannot reach them."},
    )
    max_agreeing_h: float = field(
        default=24.0,
        metadata={"help": "Two off-track positions of one MMSI less than this apart in time that "
                          "one ship could sail between are a second transmitter (a shared MMSI "
                          "heard now and then) or a jump that stays, not glitches: neither is "
                          "flagged (as identity.max_segment_gap_h)."},
    )
    min_track_positions: int = field(
        default=3,
        metadata={"help": "At a track end, the track on the one side must have this many "
                          "consecutive consistent positions (more than a sustained jump's 2)."},
    )

    def __post_init__(self) -> None:
        check_positive(max_speed_kn=self.max_speed_kn, min_jump_km=self.min_jump_km)
        if self.max_agreeing_h < 0:
            raise ParamsError(f"max_agreeing_h must be >= 0, got {self.max_agreeing_h}")
        if self.min_track_positions < 2:
            raise ParamsError(
                f"min_track_positions must be >= 2, got {self.min_track_positions}")

    def steps(self) -> IdentityParams:
        """Identity parameters with these speeds and distances (for `jumping_mmsis`)."""
        return IdentityParams(max_speed_kn=self.max_speed_kn, min_jump_km=self.min_jump_km)
