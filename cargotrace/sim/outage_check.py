"""Did a detector read a feed outage as vessels going silent? (part of `cargotrace evaluate`)

Why: when a whole receiver network goes down, every ship falls silent at once; a detector that
reports those silences as gaps, dark voyages or coverage exits floods an analyst with false
leads (issue 14). The simulator's truth has one `outage` row per outage and, by its rule
(sim/feed.py), no silence that began in an outage or at most `MatchParams.outage_lead_min`
before it. So an event of a silence kind that begins there and matched no truth row was
caused by the outage: a correct detector has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.detect.kinds import EventKind
from cargotrace.sim.evaluation_inputs import MatchRow
from cargotrace.sim.truth import LEFT_COVERAGE, OUTAGE

SILENCE_KINDS = (str(EventKind.GAP), str(EventKind.DARK_VOYAGE), LEFT_COVERAGE)
US_PER_MIN = 60_000_000


@dataclass(frozen=True)
class OutageCheck:
    """Feed outages in the truth, and the silences reported because of them (should be 0)."""

    outages: int = 0
    outage_hours: float = 0.0
    # silence kind -> events that begin in an outage (or just before it) and match no truth
    explained: dict[str, int] = field(default_factory=dict)
    explained_event_ids: list[str] = field(default_factory=list)

    @property
    def total_explained(self) -> int:
        return sum(self.explained.values())


def outage_check(
    truth: list[MatchRow], events: list[MatchRow], matched_event_ids: set[str], lead_min: float
) -> OutageCheck:
    """Count the unmatched silence events that begin in [outage start - lead, outage end)."""
    outages = [(t.start_us, t.end_us) for t in truth if t.kind == OUTAGE and t.end_us is not None]
    if not outages:
        return OutageCheck()
    lead_us = lead_min * US_PER_MIN
    explained = {k: 0 for k in SILENCE_KINDS}
    ids = []
    for e in events:
        if e.kind not in explained or e.id in matched_event_ids:
            continue
        if any(a - lead_us <= e.start_us < b for a, b in outages):
            explained[e.kind] += 1
            ids.append(e.id)
    hours = sum(b - a for a, b in outages) / (60 * US_PER_MIN)
    return OutageCheck(len(outages), round(hours, 3), explained, sorted(ids))
