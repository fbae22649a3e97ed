"""Which (vessel, list entry) pairs are worth comparing: blocking without losing any match.

Comparing every vessel with every entry in Python is a double loop of 10k × 1k pairs; instead:
- IMO numbers and MMSIs are joined exactly (dictionaries);
- names go through rapidfuzz `process.cdist` on their space-free keys, **blocked by length**:
  two names of lengths a and b need at least |a − b| edits, so a vessel name is compared only
  with list names whose length is within the edits `ScreenParams.max_edits` allows. The blocking
  is lossless (it removes only pairs that cannot match), and each block is one vectorised call.
Pairs found this way are then explained one by one by `match.compare`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from cargotrace.screen.imo import imo_check_digit_ok
from cargotrace.screen.match import ListVessel, Match, Vessel, compare
from cargotrace.screen.params import ScreenParams
from cargotrace.store.names import name_key


def _keys(names_per_item: Iterable[tuple[str, ...]]) -> tuple[list[str], dict[str, set[int]]]:
    """Distinct compact keys and, for each, the items that carry it."""
    owners: dict[str, set[int]] = defaultdict(set)
    for i, names in enumerate(names_per_item):
        for name in names:
            key = name_key(name).compact
            if key:
                owners[key].add(i)
    return list(owners), owners


def name_pairs(vessels: list[Vessel], entries: list[ListVessel],
               params: ScreenParams) -> set[tuple[int, int]]:
    """(vessel index, entry index) pairs with at least one pair of names close enough."""
    v_keys, v_owner = _keys(v.names for v in vessels)
    e_keys, e_owner = _keys(e.names for e in entries)
    if not v_keys or not e_keys:
        return set()
    e_by_len: dict[int, list[str]] = defaultdict(list)
    for key in e_keys:
        e_by_len[len(key)].append(key)
    v_by_len: dict[int, list[str]] = defaultdict(list)
    for key in v_keys:
        v_by_len[len(key)].append(key)
    pairs: set[tuple[int, int]] = set()
    for length, queries in v_by_len.items():
        choices = [k for other, ks in e_by_len.items()
                   if abs(other - length) <= params.max_edits(length, other) for k in ks]
        if not choices:
            continue
        cutoff = max(params.max_edits(length, len(c)) for c in choices)
        dist = process.cdist(queries, choices, scorer=Levenshtein.distance,
                             score_cutoff=cutoff, dtype=np.int32, workers=-1)
        for qi, ci in zip(*np.nonzero(dist <= cutoff), strict=True):
            query, choice = queries[qi], choices[ci]
            if dist[qi, ci] > params.max_edits(len(query), len(choice)):
                continue
            for v in v_owner[query]:
                pairs.update((v, e) for e in e_owner[choice])
    return pairs


def identifier_pairs(vessels: list[Vessel], entries: list[ListVessel]) -> set[tuple[int, int]]:
    """Pairs sharing a valid IMO number or an MMSI."""
    by_imo: dict[int, list[int]] = defaultdict(list)
    by_mmsi: dict[int, list[int]] = defaultdict(list)
    for j, entry in enumerate(entries):
        if entry.imo is not None:
            by_imo[entry.imo].append(j)
        if entry.mmsi is not None:
            by_mmsi[entry.mmsi].append(j)
    pairs: set[tuple[int, int]] = set()
    for i, vessel in enumerate(vessels):
        for imo in vessel.imos:
            if imo_check_digit_ok(imo):
                pairs.update((i, j) for j in by_imo.get(imo, ()))
        if vessel.mmsi is not None:
            pairs.update((i, j) for j in by_mmsi.get(vessel.mmsi, ()))
    return pairs


def match_all(vessels: list[Vessel], entries: list[ListVessel],
              params: ScreenParams) -> list[Match]:
    """Every explained hit of `vessels` against `entries`, best first per vessel."""
    pairs = identifier_pairs(vessels, entries) | name_pairs(vessels, entries, params)
    hits = [m for i, j in sorted(pairs) if (m := compare(vessels[i], entries[j], params))]
    return sorted(hits, key=lambda m: (m.mmsi or 0, m.match != "confirmed", -m.score,
                                       m.entity_id))
