"""Flag state of a vessel from the Maritime Identification Digits (MID) in its MMSI.

Why: AIS position reports carry only the MMSI; the flag a ship claims is the cheapest first signal
for sanctions screening and flag-hopping, and it is encoded in the MMSI itself (ITU-R M.585).

Source of `cargotrace/data/mid.csv`: ITU Maritime Identification Digits table,
https://www.itu.int/en/ITU-R/terrestrial/fmd/Pages/mid.aspx . Each MID maps to the ISO 3166-1
alpha-2 code of the flag; a territory with its own code gets that code (378 -> VG, 319 -> KY,
236 -> GI), one without gets its state's (204 Azores -> PT, 303 Alaska -> US,
501 Adélie Land -> FR).
ITU shares 306 between Curaçao, Sint Maarten and Bonaire/Sint Eustatius/Saba; we report CW.

MMSIs are stored as integers, so leading zeros are gone: 2734567 *is* coast station 002734567
and 27345678 *is* group 027345678. We therefore read every MMSI as its 9-digit zero-padded form
and reject it when the digits where the MID should be cannot be a MID (first digit not 2-7):
that is what turns short garbage such as 12345 into "invalid" rather than a made-up flag.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Mapping
from importlib.resources import files
from types import MappingProxyType
from typing import NamedTuple

__all__ = ["MidEntry", "country_of_mid", "flag_of", "mid_table", "mmsi_kind"]

_MMSI_MAX = 999_999_999

# Kinds whose MMSI embeds a MID, with the offset of the MID in the 9-digit form (ITU-R M.585).
_MID_OFFSET: dict[str, int] = {
    "ship": 0,  # MIDxxxxxx
    "group": 1,  # 0MIDxxxxx
    "coast_station": 2,  # 00MIDxxxx
    "sar_aircraft": 3,  # 111MIDxxx
    "handheld": 1,  # 8MIDxxxxx
    "parent_craft": 2,  # 98MIDxxxx
    "aton": 2,  # 99MIDxxxx
}

# The kind of station by the first digits of the 9-digit form, first match wins (so "00" before
# "0"). Devices (sart, mob, epirb) have no flag: the digits after the prefix are a manufacturer
# id and serial. Anything else is invalid.
_KIND_BY_PREFIX: tuple[tuple[str, str], ...] = (
    ("970", "sart"),
    ("972", "mob"),
    ("974", "epirb"),
    ("00", "coast_station"),
    ("0", "group"),
    ("111", "sar_aircraft"),
    ("8", "handheld"),
    ("98", "parent_craft"),
    ("99", "aton"),
    *((digit, "ship") for digit in "234567"),
)


class MidEntry(NamedTuple):
    """One row of the ITU table: kept as a pair so a flag and its display name never disagree."""

    iso2: str
    country: str


@functools.cache
def mid_table() -> Mapping[int, MidEntry]:
    """MID -> (ISO2, country), read once: the table is static data shipped inside the package.

    Duplicate MIDs raise, because a silently shadowed row would misflag a whole registry.
    """
    text = (files("cargotrace") / "data" / "mid.csv").read_text(encoding="utf-8")
    table: dict[int, MidEntry] = {}
    for row in csv.DictReader(io.StringIO(text)):
        mid = int(row["mid"])
        if mid in table:
            raise ValueError(f"mid.csv: duplicate MID {mid}")
        table[mid] = MidEntry(row["iso2"], row["country"])
    return MappingProxyType(table)


def _station_kind(digits: str) -> str:
    """The kind of station a 9-digit MMSI names by its prefix (`_KIND_BY_PREFIX`)."""
    return next((kind for prefix, kind in _KIND_BY_PREFIX if digits.startswith(prefix)),
                "invalid")


def _classify(mmsi: int) -> tuple[str, int | None]:
    """Return (kind, MID or None) so kind and flag come from a single reading of the digits."""
    if isinstance(mmsi, bool) or not 0 <= mmsi <= _MMSI_MAX:
        return "invalid", None
    digits = f"{mmsi:09d}"
    kind = _station_kind(digits)
    if kind not in _MID_OFFSET:  # a device, or invalid: no MID
        return kind, None
    offset = _MID_OFFSET[kind]
    mid_digits = digits[offset : offset + 3]
    if mid_digits[0] not in "234567":
        return "invalid", None
    return kind, int(mid_digits)


def mmsi_kind(mmsi: int) -> str:
    """What kind of station an MMSI names, so callers can keep AtoNs and beacons out of ship stats.

    One of: ship, group, coast_station, sar_aircraft, aton, parent_craft, handheld, sart, mob,
    epirb, invalid. Structural only: a well-formed MMSI with an unallocated MID keeps its kind.
    """
    return _classify(mmsi)[0]


def flag_of(mmsi: int | None) -> str | None:
    """ISO 3166-1 alpha-2 flag implied by an MMSI's MID, or None when it implies none.

    None for missing or malformed MMSIs, for SART/MOB/EPIRB devices (no MID) and for MIDs the ITU
    has not allocated: an unknown flag must stay unknown rather than be guessed.
    """
    if mmsi is None:
        return None
    mid = _classify(mmsi)[1]
    if mid is None:
        return None
    entry = mid_table().get(mid)
    return entry.iso2 if entry is not None else None


def country_of_mid(mid: int) -> str | None:
    """Human-readable country or territory for a MID (for reports), None if not allocated."""
    entry = mid_table().get(mid)
    return entry.country if entry is not None else None
