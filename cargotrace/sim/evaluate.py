"""Score detected events against the simulator's ground truth (`cargotrace evaluate`).

Why: detectors are tuned against traffic whose truth is known; the detection quality bar
(precision and recall >= 0.95 per kind on the `mixed` scenario) is measured here, so the rules
are strict, deterministic and written down (docs/concepts/evaluation.md has a worked example).

A detected event and a truth row are *candidates* when all of these hold:
1. Same kind. For `identity`, also the same subkind: the event's `attrs.identity_kind` equals the
   truth's `subkind` (a name change is not a teleport). Other kinds ignore subkind.
2. Same vessel set: {mmsi, other_mmsi} without NULLs, unordered, so an encounter reported as
   (B, A) matches a truth (A, B), and other_mmsi equal to mmsi counts as absent. For
   `possible_dark_port_call` (PLACE_KINDS), also the place, when both tables have `place_id`:
   the truth's place must be the event's `place_id` or one of its `attrs.candidates` (the
   event says "a call at one of these"); a call at a place it does not name is not found.
3. Time. A NULL event end (still open) is read per `MatchParams.open_end_as`: `data_end` (the
   end of the data) or `truth_end` (the end of the truth row it is compared with); a NULL truth
   end is always the end of the data. Then:
   - if either interval is instantaneous (start == end, e.g. a teleport or a name change), the
     gap between the two intervals (0 when they touch) must be <= `instant_tolerance_min`;
     score = 1 - gap / tolerance;
   - otherwise intersection / truth duration must be >= `min_overlap_fraction` (score = that
     fraction) and intersection / event duration >= `min_event_overlap_fraction` (0: off).
Candidates are assigned one to one, greedily: by score descending, then by smaller total timing
error |start error| + |end error|, then truth_id, then event_id (deterministic). A truth is
matched at most once: a second detection of it is a false positive, counted as a duplicate.

Per kind: TP = matched pairs, FP = events not matched (duplicates included), FN = truth rows not
matched. Precision TP/(TP+FP) is 1.0 with no detections and no truth, 0.0 with no detections but
some truth; recall TP/(TP+FN) is 1.0 with no truth; F1 is 0.0 when precision + recall is 0.
Timing errors are event minus truth in minutes, with open ends read as in rule 3.
Scored kinds are those of the truth, or exactly `kinds` when given; events and truth rows of any
other kind are only counted (`unscored_events`, `unscored_truth`), never scored. `outage` truth
rows (a feed that heard nothing) are never scored: `outages` reports how many silence events
(gap, dark_voyage, left_coverage) match no truth and begin in an outage, or at most
`outage_lead_min` before one (sim/outage_check.py): 0 for a detector that knows the feed's
coverage. `left_coverage` is scored like every other kind.
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from cargotrace.detect.kinds import EventKind
from cargotrace.errors import ParamsError
from cargotrace.sim.evaluation_inputs import (
    EVENT_COLUMNS,
    TRUTH_COLUMNS,
    MatchRow,
    match_rows,
    read_events,
    read_truth,
    store_data_end,
)
from cargotrace.sim.outage_check import OutageCheck, outage_check
from cargotrace.sim.params import MatchParams, OpenEnd
from cargotrace.sim.truth import LEFT_COVERAGE, TRUTH_ONLY_KINDS

__all__ = [
    "Evaluation", "KindScore", "Match", "OutageCheck", "evaluate", "read_events",
    "read_truth", "store_data_end",
]

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US_PER_MIN = 60_000_000


@dataclass(frozen=True)
class Match:
    """One matched (truth, event) pair; errors are event minus truth, in minutes."""

    kind: str
    subkind: str | None
    truth_id: str
    event_id: str
    score: float
    start_error_min: float
    end_error_min: float


@dataclass(frozen=True)
class KindScore:
    """Counts, rates and timing errors for one kind (or one identity subkind)."""

    kind: str
    subkind: str | None
    truth: int
    detected: int
    tp: int
    fp: int
    fn: int
    duplicates: int  # FPs that were candidates of a truth already matched to another event
    precision: float
    recall: float
    f1: float
    start_error_median_min: float | None
    start_error_max_min: float | None
    end_error_median_min: float | None
    end_error_max_min: float | None
    unmatched_truth_ids: list[str]
    unmatched_event_ids: list[str]
    duplicate_event_ids: list[str]


@dataclass(frozen=True)
class Evaluation:
    """Everything `cargotrace evaluate` reports; `to_dict()` is its --json output."""

    params: MatchParams
    data_end: datetime | None  # the end of the data used for open ends
    kinds: list[KindScore]  # one per scored kind, by kind name
    subkinds: list[KindScore]  # identity broken down by identity_kind
    matches: list[Match]
    unscored_events: dict[str, int]  # kind -> events not scored
    unscored_truth: dict[str, int]  # kind -> truth rows not scored (outside `kinds`, outages)
    outages: OutageCheck = OutageCheck()  # feed outages, and silences reported because of them

    def score(self, kind: str, subkind: str | None = None) -> KindScore:
        """The score of one kind, or of one identity subkind."""
        rows = self.kinds if subkind is None else self.subkinds
        for row in rows:
            if row.kind == kind and row.subkind == subkind:
                return row
        raise KeyError((kind, subkind))

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["params"]["open_end_as"] = str(self.params.open_end_as)
        doc["data_end"] = self.data_end.isoformat() if self.data_end else None
        doc["outages"]["total_explained"] = self.outages.total_explained
        return doc


def evaluate(
    events: pa.Table,
    truth: pa.Table,
    params: MatchParams | None = None,
    kinds: set[str] | None = None,
    data_end: datetime | None = None,
) -> Evaluation:
    """Match `events` (the `events` table's columns) to `truth` (TRUTH_SCHEMA) and score per kind.

    `data_end` is the end of the observed data (e.g. the last position); the latest of it and
    every time in both tables is used, so an open event never ends before anything known.
    """
    params = params or MatchParams()
    if kinds is not None:
        known = list(dict.fromkeys([*map(str, EventKind), LEFT_COVERAGE]))
        unknown = sorted(set(kinds) - set(known))
        if unknown:
            raise ParamsError(f"unknown kind(s) {', '.join(unknown)}; use {', '.join(known)}")
    by_place = "place_id" in truth.column_names and "place_id" in events.column_names
    truth_rows = match_rows(truth, "truth", TRUTH_COLUMNS, by_place)
    event_rows = match_rows(events, "events", EVENT_COLUMNS, by_place)
    scored = (set(kinds) if kinds is not None
              else {r.kind for r in truth_rows} - TRUTH_ONLY_KINDS)
    end_us = _data_end_us([*truth_rows, *event_rows], data_end)
    matches, duplicates = _assign(
        [r for r in truth_rows if r.kind in scored],
        [r for r in event_rows if r.kind in scored],
        params,
        end_us,
    )
    by_kind = [
        _kind_score(k, None, truth_rows, event_rows, matches, duplicates, False)
        for k in sorted(scored)
    ]
    identity_subkinds = {
        r.subkind for r in (*truth_rows, *event_rows) if r.kind == EventKind.IDENTITY
    }
    by_subkind = [
        _kind_score(EventKind.IDENTITY, s, truth_rows, event_rows, matches, duplicates, True)
        for s in sorted(identity_subkinds, key=lambda s: s or "")
        if EventKind.IDENTITY in scored
    ]
    unscored_events = Counter(r.kind for r in event_rows if r.kind not in scored)
    unscored_truth = Counter(r.kind for r in truth_rows if r.kind not in scored)
    if unscored_events:
        log.info("events of kinds not in the truth, not scored: %s", dict(unscored_events))
    return Evaluation(
        params=params,
        data_end=None if end_us is None else EPOCH + timedelta(microseconds=end_us),
        kinds=by_kind,
        subkinds=by_subkind,
        matches=sorted(matches, key=lambda m: (m.kind, m.truth_id)),
        unscored_events=dict(sorted(unscored_events.items())),
        unscored_truth=dict(sorted(unscored_truth.items())),
        outages=outage_check(truth_rows, event_rows, {m.event_id for m in matches},
                             params.outage_lead_min),
    )


def _data_end_us(rows: list[MatchRow], data_end: datetime | None) -> int | None:
    times = [t for r in rows for t in (r.start_us, r.end_us) if t is not None]
    if data_end is not None:
        times.append((data_end - EPOCH) // timedelta(microseconds=1))
    return max(times) if times else None


def _pair(
    t: MatchRow, e: MatchRow, params: MatchParams, data_end_us: int | None
) -> tuple[float, int, int] | None:
    """(score, start error, end error), errors in µs, or None when not candidates."""
    t_end = t.end_us if t.end_us is not None else (data_end_us or t.start_us)
    if e.end_us is not None:
        e_end = e.end_us
    elif params.open_end_as is OpenEnd.TRUTH_END:
        e_end = max(t_end, e.start_us)
    else:
        e_end = max(data_end_us or e.start_us, e.start_us)
    if t.start_us == t_end or e.start_us == e.end_us:
        gap = max(0, max(t.start_us, e.start_us) - min(t_end, e_end))
        tolerance = params.instant_tolerance_min * US_PER_MIN
        if gap > tolerance:
            return None
        score = 1.0 - gap / tolerance if tolerance else 1.0
    else:
        intersection = max(0, min(t_end, e_end) - max(t.start_us, e.start_us))
        score = intersection / (t_end - t.start_us)
        event_share = intersection / (e_end - e.start_us) if e_end > e.start_us else 0.0
        if score < params.min_overlap_fraction or event_share < params.min_event_overlap_fraction:
            return None
    return score, e.start_us - t.start_us, e_end - t_end


def _assign(
    truth: list[MatchRow], events: list[MatchRow], params: MatchParams, data_end_us: int | None
) -> tuple[list[Match], set[str]]:
    """Greedy one-to-one assignment; returns the matches and the duplicate event ids."""
    events_by_key: dict[tuple[Any, ...], list[MatchRow]] = defaultdict(list)
    for e in events:
        events_by_key[e.key()].append(e)
    candidates = []
    for t in truth:
        for e in events_by_key.get(t.key(), []):
            if t.places and not t.places & e.places:
                continue  # a call that happened at a place the event does not name
            found = _pair(t, e, params, data_end_us)
            if found is not None:
                score, start_error, end_error = found
                timing = abs(start_error) + abs(end_error)
                candidates.append((-score, timing, t.id, e.id, t, start_error, end_error))
    candidates.sort(key=lambda c: c[:4])
    matched_truth: set[str] = set()
    matched_events: set[str] = set()
    matches = []
    for neg_score, _, t_id, e_id, t, start_error, end_error in candidates:
        if t_id in matched_truth or e_id in matched_events:
            continue
        matched_truth.add(t_id)
        matched_events.add(e_id)
        matches.append(
            Match(
                kind=t.kind,
                subkind=t.subkind,
                truth_id=t_id,
                event_id=e_id,
                score=-neg_score,
                start_error_min=start_error / US_PER_MIN,
                end_error_min=end_error / US_PER_MIN,
            )
        )
    duplicates = {c[3] for c in candidates if c[3] not in matched_events}
    return matches, duplicates


def _kind_score(
    kind: str,
    subkind: str | None,
    truth: list[MatchRow],
    events: list[MatchRow],
    matches: list[Match],
    duplicates: set[str],
    by_subkind: bool,
) -> KindScore:
    def mine(row_kind: str, row_subkind: str | None) -> bool:
        return row_kind == kind and (not by_subkind or row_subkind == subkind)

    truth_ids = sorted(r.id for r in truth if mine(r.kind, r.subkind))
    event_ids = sorted(r.id for r in events if mine(r.kind, r.subkind))
    pairs = [m for m in matches if mine(m.kind, m.subkind)]
    matched_truth = {m.truth_id for m in pairs}
    matched_events = {m.event_id for m in pairs}
    tp = len(pairs)
    fp = len(event_ids) - tp
    fn = len(truth_ids) - tp
    precision = tp / (tp + fp) if tp + fp else (1.0 if not truth_ids else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    starts = [abs(m.start_error_min) for m in pairs]
    ends = [abs(m.end_error_min) for m in pairs]
    unmatched_events = [i for i in event_ids if i not in matched_events]
    return KindScore(
        kind=str(kind),
        subkind=subkind,
        truth=len(truth_ids),
        detected=len(event_ids),
        tp=tp,
        fp=fp,
        fn=fn,
        duplicates=sum(i in duplicates for i in unmatched_events),
        precision=precision,
        recall=recall,
        f1=f1,
        start_error_median_min=statistics.median(starts) if starts else None,
        start_error_max_min=max(starts) if starts else None,
        end_error_median_min=statistics.median(ends) if ends else None,
        end_error_max_min=max(ends) if ends else None,
        unmatched_truth_ids=[i for i in truth_ids if i not in matched_truth],
        unmatched_event_ids=unmatched_events,
        duplicate_event_ids=[i for i in unmatched_events if i in duplicates],
    )
