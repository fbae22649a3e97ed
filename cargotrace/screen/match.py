"""Vessel ↔ list entry matching, every hit explained (which fields matched, how, the score).

Rules (docs/concepts/screening.md has the table and the reasons behind each number):
- An **IMO number** reported by the vessel with a valid check digit that equals the list's IMO is
  decisive: `confirmed`, score 1.0. IMO numbers follow a ship through renames and reflagging.
- An **MMSI** equal to the list's is strong but MMSIs are reassigned: it confirms only together
  with a matching name (score 0.95); alone it is `possible`, and weighs half when the vessel was
  seen more than `mmsi_window_d` days away from the list's date.
- **Names** are compared after `names.name_key` normalisation, by Levenshtein similarity
  (1 − edits / longer length) on the space-free key; numbers in the names must be equal (SPARTA
  III is not SPARTA IV). Aliases and former names count like names.
- A name-only hit is never `confirmed`, whatever the flag or type say: many ships are called
  MARIA or ANGARA. Its score is 0.6 × similarity, +0.1 for the flag (MID) equal to the list's,
  +0.1 for an AIS ship type that fits the list's vessel type; halved when the vessel reports a
  valid IMO number that differs from the list's (most likely another ship of the same name).
"""

from __future__ import annotations

import builtins
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from rapidfuzz.distance import Levenshtein

from cargotrace.screen.imo import imo_check_digit_ok
from cargotrace.screen.params import ScreenParams
from cargotrace.store.names import NameKey, name_key

CONFIRMED = "confirmed"
POSSIBLE = "possible"
NAME_WEIGHT = 0.6
MMSI_WEIGHT = 0.5
FLAG_WEIGHT = 0.1
TYPE_WEIGHT = 0.1
MMSI_AND_NAME_SCORE = 0.95
MAX_POSSIBLE_SCORE = 0.9


@dataclass(frozen=True)
class Vessel:
    """What the store knows about one MMSI (or what a user asked about)."""

    mmsi: int | None
    names: tuple[str, ...] = ()
    imos: tuple[int, ...] = ()  # as reported, valid or not
    flag: str | None = None  # ISO 3166 alpha-2 from the MMSI's MID
    ship_types: tuple[int, ...] = ()  # AIS ship type codes
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    label: str = "the vessel"  # who states the values, in reasons ("the query" for a lookup)


@dataclass(frozen=True)
class ListVessel:
    """A Vessel entity of a loaded list, with the date it refers to."""

    id: str
    list: str
    names: tuple[str, ...]
    imo: int | None
    mmsi: int | None
    flag: str | None
    vessel_type: str | None
    programs: tuple[str, ...]
    listed_on: date | None
    as_of: date | None  # the list's date (load --as-of or the file's own date)
    load_id: int


@dataclass
class Match:
    mmsi: int | None
    list: str
    entity_id: str
    entity_name: str
    imo: int | None
    program: str
    programs: builtins.list[str]
    listed_on: date | None
    match: str  # confirmed | possible
    score: float
    reasons: builtins.list[str]
    """Every reason, in this order: what supports the match, what conflicts with it, notes."""
    fields: dict[str, Any]
    load_id: int
    supports: builtins.list[str] = field(default_factory=builtins.list)
    """The evidence that made the hit (equal IMO or MMSI, the name match, equal flag...)."""
    conflicts: builtins.list[str] = field(default_factory=builtins.list)
    """What speaks against it (IMO, name, flag or ship type differs): an analyst reads these
    before acting on a possible hit."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# AIS ship type code ranges (ITU-R M.1371 table 53) and words of OFAC vessel types that fit them
_TYPE_CLASSES: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "tanker": (tuple(range(80, 90)), ("TANKER",)),
    "cargo": (tuple(range(70, 80)), ("CARGO", "BULK", "CONTAINER", "ROLL-ON", "RO-RO",
                                      "HEAVY LIFT", "REFRIGERATED", "PALLETIZED")),
    "passenger": (tuple(range(60, 70)), ("PASSENGER",)),
    "fishing": ((30,), ("FISHING", "FISH CARRIER")),
    "tug": ((31, 32, 52), ("TUG",)),
    "pleasure": ((36, 37), ("YACHT", "PLEASURE")),
}


def type_class_of_code(code: int) -> str | None:
    return next((k for k, (codes, _) in _TYPE_CLASSES.items() if code in codes), None)


def type_class_of_text(text: str | None) -> str | None:
    upper = (text or "").upper()
    return next((k for k, (_, words) in _TYPE_CLASSES.items()
                 if any(w in upper for w in words)), None)


@dataclass(frozen=True)
class NameHit:
    vessel_name: str
    list_name: str
    similarity: float
    method: str  # same | normalised | spacing | fuzzy | one_edit


def compare_names(a: NameKey, b: NameKey, params: ScreenParams) -> NameHit | None:
    """How two names match, or None. Numbers must agree; spaces and punctuation never count."""
    if not a.compact or not b.compact or a.numbers != b.numbers:
        return None
    edits = Levenshtein.distance(a.compact, b.compact)
    if edits > params.max_edits(len(a.compact), len(b.compact)):
        return None
    similarity = 1.0 - edits / max(len(a.compact), len(b.compact))
    if edits == 0:
        method = ("same" if a.original.strip().upper() == b.original.strip().upper()
                  else "normalised" if a.normal == b.normal else "spacing")
    else:
        method = "fuzzy" if similarity >= params.min_name_similarity else "one_edit"
    return NameHit(a.original, b.original, round(similarity, 3), method)


def best_name(vessel_names: tuple[str, ...], list_names: tuple[str, ...],
              params: ScreenParams) -> NameHit | None:
    hits = [h for v in vessel_names for n in list_names
            if (h := compare_names(name_key(v), name_key(n), params)) is not None]
    return max(hits, key=lambda h: h.similarity, default=None)


def _days_apart(vessel: Vessel, entry: ListVessel) -> float | None:
    ref = entry.listed_on or entry.as_of
    if ref is None or vessel.last_seen is None or vessel.first_seen is None:
        return None
    ref_dt = datetime(ref.year, ref.month, ref.day, tzinfo=vessel.last_seen.tzinfo)
    if vessel.first_seen <= ref_dt <= vessel.last_seen:
        return 0.0
    return min(abs((ref_dt - vessel.first_seen).days), abs((ref_dt - vessel.last_seen).days))


@dataclass
class _Why:
    """A match's reasons by role, so that the one that made the hit is read first."""

    supports: builtins.list[str] = field(default_factory=list)
    conflicts: builtins.list[str] = field(default_factory=list)
    notes: builtins.list[str] = field(default_factory=list)

    @property
    def reasons(self) -> builtins.list[str]:
        return self.supports + self.conflicts + self.notes


def _identifier_evidence(
    vessel: Vessel, entry: ListVessel, params: ScreenParams, why: _Why,
    fields: dict[str, Any],
) -> tuple[bool, bool, float]:
    """(imo equal, imo conflict, mmsi weight) with their reasons."""
    valid = [i for i in vessel.imos if imo_check_digit_ok(i)]
    for bad in sorted(set(vessel.imos) - set(valid)):
        why.notes.append(f"{vessel.label} gives IMO {bad}, which fails the check digit: "
                         "not used")
    imo_equal = entry.imo is not None and entry.imo in valid
    conflict = entry.imo is not None and bool(valid) and not imo_equal
    fields["imo"] = "equal" if imo_equal else "differs" if conflict else "unknown"
    if imo_equal:
        why.supports.append(f"IMO {entry.imo}: given by {vessel.label} (valid check digit) "
                            "and on the list — decisive")
    elif conflict:
        why.conflicts.append(f"IMO differs: {vessel.label} gives {', '.join(map(str, valid))}, "
                             f"list has {entry.imo} — probably another ship with the same name")
    mmsi_weight = 0.0
    if entry.mmsi is not None and vessel.mmsi == entry.mmsi:
        apart = _days_apart(vessel, entry)
        mmsi_weight = MMSI_WEIGHT
        note = "MMSIs are reassigned: weighed with the name"
        if apart is not None and apart > params.mmsi_window_d:
            mmsi_weight /= 2
            note = f"seen {apart:.0f} days from the list's date: weighs half"
        why.supports.append(f"MMSI {entry.mmsi}: given by {vessel.label} and on the list "
                            f"({note})")
        fields["mmsi"] = "equal"
    return imo_equal, conflict, mmsi_weight


def _context_evidence(vessel: Vessel, entry: ListVessel, why: _Why,
                      fields: dict[str, Any]) -> float:
    score = 0.0
    if vessel.flag and entry.flag:
        same = vessel.flag == entry.flag
        fields["flag"] = "equal" if same else "differs"
        (why.supports if same else why.conflicts).append(
            f"flag {vessel.flag} (from the MMSI's MID) {'=' if same else '≠'} list flag "
            f"{entry.flag}")
        score += FLAG_WEIGHT if same else 0.0
    listed_class = type_class_of_text(entry.vessel_type)
    vessel_classes = {c for t in vessel.ship_types if (c := type_class_of_code(t))}
    if listed_class and vessel_classes:
        fits = listed_class in vessel_classes
        fields["type"] = "fits" if fits else "differs"
        (why.supports if fits else why.conflicts).append(
            f"AIS ship type {', '.join(sorted(vessel_classes))} "
            f"{'fits' if fits else 'does not fit'} list type {entry.vessel_type!r}")
        score += TYPE_WEIGHT if fits else 0.0
    return score


def compare(vessel: Vessel, entry: ListVessel, params: ScreenParams) -> Match | None:
    """The explained match of one vessel with one list entry, or None below `min_score`."""
    why = _Why()
    fields: dict[str, Any] = {"imo": "unknown", "mmsi": "unknown", "name": None,
                              "flag": "unknown", "type": "unknown"}
    imo_equal, conflict, mmsi_weight = _identifier_evidence(vessel, entry, params, why, fields)
    name = best_name(vessel.names, entry.names, params)
    if name is not None:
        fields["name"] = asdict(name)
        why.supports.append(f"name {name.vessel_name!r} ~ list name {name.list_name!r}: "
                            f"{name.method} (similarity {name.similarity:.2f})")
    elif vessel.names:
        why.conflicts.append(
            f"names differ: {vessel.label} gives {', '.join(map(repr, vessel.names))}, the "
            f"list {', '.join(map(repr, entry.names))} (renamed?)")
    context = _context_evidence(vessel, entry, why, fields)
    if imo_equal:
        level, score = CONFIRMED, 1.0
    elif mmsi_weight == MMSI_WEIGHT and name is not None and not conflict:
        level, score = CONFIRMED, MMSI_AND_NAME_SCORE
    else:
        if name is None and mmsi_weight == 0.0:
            return None
        score = NAME_WEIGHT * (name.similarity if name else 0.0) + mmsi_weight + context
        score = round(min(score * (0.5 if conflict else 1.0), MAX_POSSIBLE_SCORE), 3)
        level = POSSIBLE
        why.notes.append("no identifier confirms it: possible, not confirmed")
        if score < params.min_score:
            return None
    return Match(vessel.mmsi, entry.list, entry.id, entry.names[0], entry.imo,
                 entry.programs[0] if entry.programs else "", list(entry.programs),
                 entry.listed_on, level, round(score, 3), why.reasons, fields, entry.load_id,
                 why.supports, why.conflicts)
