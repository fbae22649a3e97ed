"""Simulated vessels: identities and physical profiles that look like a real fleet.

Identities follow the real rules (a valid IMO check digit, an MMSI whose MID matches the flag,
ITU call-sign prefixes) so that identity and screening code is exercised on realistic values.
Speeds and sizes follow typical ranges by ship type (AIS ship-type codes of ITU-R M.1371).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

# (ship_type code, label, transceiver class, service speed range kn, length range m, share)
SHIP_TYPES: tuple[tuple[int, str, str, tuple[float, float], tuple[int, int], float], ...] = (
    (70, "cargo", "A", (11.0, 15.0), (90, 200), 0.40),
    (79, "cargo", "A", (12.0, 17.0), (150, 300), 0.10),
    (80, "tanker", "A", (10.0, 14.0), (100, 250), 0.20),
    (30, "fishing", "A", (8.0, 11.0), (25, 60), 0.15),
    (52, "tug", "A", (8.0, 12.0), (20, 40), 0.05),
    (37, "pleasure", "B", (6.0, 18.0), (8, 20), 0.10),
)

# flag -> (MIDs, call-sign prefix)
FLAGS: dict[str, tuple[tuple[int, ...], str]] = {
    "RU": ((273,), "UB"),
    "KP": ((445,), "HM"),
    "CN": ((412, 413), "BQ"),
    "KR": ((440, 441), "DS"),
    "JP": ((431, 432), "JD"),
    "PA": ((351, 352, 353, 354, 355, 356, 357, 370, 371, 372, 373), "3E"),
    "LR": ((636,), "A8"),
    "SL": ((667,), "9L"),
    "TG": ((671,), "5V"),
    "KM": ((616,), "D6"),
    "MN": ((457,), "JV"),
}
FLAG_SHARES = {
    "RU": 0.35,
    "CN": 0.12,
    "KR": 0.12,
    "JP": 0.1,
    "PA": 0.12,
    "LR": 0.05,
    "KP": 0.04,
    "SL": 0.03,
    "TG": 0.03,
    "KM": 0.02,
    "MN": 0.02,
}

_NAME_WORDS = (
    "AMUR",
    "OCEAN",
    "PRIMORYE",
    "SEA",
    "STAR",
    "PACIFIC",
    "NORD",
    "VOSTOK",
    "ZARYA",
    "BAIKAL",
    "ORIENT",
    "LUCKY",
    "GOLDEN",
    "BLUE",
    "KAPITAN",
    "SVETLAYA",
    "NEVA",
    "HARMONY",
    "GRACE",
    "POLAR",
    "TAIGA",
    "RIVER",
    "PEARL",
    "FORTUNE",
    "SUNRISE",
    "EASTERN",
    "GLORY",
    "VICTORY",
)


def imo_check_digit(first_six: int) -> int:
    """IMO number check digit: sum of the six digits weighted 7..2, last digit of the sum."""
    digits = f"{first_six:06d}"
    return sum(int(d) * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10


def make_imo(rng: random.Random) -> int:
    first_six = rng.randrange(800000, 999999)
    return first_six * 10 + imo_check_digit(first_six)


@dataclass(frozen=True)
class SimVessel:
    """One simulated ship. `mmsi` may be changed by identity behaviours (a new `SimVessel`)."""

    vessel_id: int  # stable across identity changes: the physical ship
    mmsi: int
    imo: int
    name: str
    callsign: str
    flag: str
    ship_type: int
    kind: str  # cargo, tanker, fishing, tug, pleasure
    transceiver: str  # "A" or "B"
    speed_kn: float  # service speed
    length_m: int
    beam_m: int
    draught_m: float

    def reflagged(self, flag: str, rng: random.Random) -> SimVessel:
        """The same ship under a new flag: new MMSI (its MID names the flag) and call sign."""
        mids, prefix = FLAGS[flag]
        return replace(
            self,
            flag=flag,
            mmsi=rng.choice(mids) * 1_000_000 + rng.randrange(100000, 999999),
            callsign=prefix + f"{rng.randrange(1000, 9999)}",
        )


def make_fleet(n: int, rng: random.Random, first_id: int = 1) -> list[SimVessel]:
    """`n` distinct vessels with type, flag and size drawn from typical shares."""
    fleet: list[SimVessel] = []
    used_mmsi: set[int] = set()
    for i in range(n):
        ship_type, kind, cls, (v_lo, v_hi), (l_lo, l_hi), _ = rng.choices(
            SHIP_TYPES, weights=[t[5] for t in SHIP_TYPES]
        )[0]
        flag = rng.choices(list(FLAG_SHARES), weights=list(FLAG_SHARES.values()))[0]
        mids, prefix = FLAGS[flag]
        mmsi = 0
        while mmsi == 0 or mmsi in used_mmsi:
            mmsi = rng.choice(mids) * 1_000_000 + rng.randrange(100000, 999999)
        used_mmsi.add(mmsi)
        length = rng.randrange(l_lo, l_hi)
        name = f"{rng.choice(_NAME_WORDS)} {rng.choice(_NAME_WORDS)}"
        if rng.random() < 0.3:
            name += f" {rng.randrange(1, 30)}"
        fleet.append(
            SimVessel(
                vessel_id=first_id + i,
                mmsi=mmsi,
                imo=make_imo(rng) if cls == "A" else 0,
                name=name,
                callsign=prefix + f"{rng.randrange(1000, 9999)}",
                flag=flag,
                ship_type=ship_type,
                kind=kind,
                transceiver=cls,
                speed_kn=round(rng.uniform(v_lo, v_hi), 1),
                length_m=length,
                beam_m=max(3, length // 7),
                draught_m=round(min(18.0, max(1.0, length / 22 + rng.uniform(-1, 1))), 1),
            )
        )
    return fleet
