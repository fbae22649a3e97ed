"""Score a campaign estimate against the campaign scenario's truth: how many of the planted
deliveries the trips recover (recall, precision), and whether the true volume falls inside the
estimate's P10-P90 band.

Why a scorer of its own (not `evaluate`'s event matching): a campaign trip is not an event but
a delivery counted from events (shuttle calls) and from the file's evidence (imagery-dated
entries), and what matters is the count and the volume, which event matching does not see.
Matching is one-to-one per vessel (by MMSI): each estimated trip goes to the nearest unmatched
true arrival within `tolerance_h`, nearest pairs first.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from cargotrace.cases.campaign.build import CampaignResult
from cargotrace.errors import UnreadableInputError
from cargotrace.sim.params import CampaignMatchParams
from cargotrace.sim.truth import CAMPAIGN_TRIP

__all__ = ["CampaignEvaluation", "evaluate_campaign"]


@dataclass(frozen=True)
class CampaignEvaluation:
    params: CampaignMatchParams
    true_trips: int
    estimated_trips: int
    matched: int
    true_volume: float
    band: dict[str, float]  # the estimate of the whole campaign: p10, p50, p90
    by_vessel: dict[str, dict[str, int]]  # vessel id -> true, estimated, matched
    missed: list[str]  # truth ids of deliveries no estimated trip matched

    @property
    def recall(self) -> float:
        return self.matched / self.true_trips if self.true_trips else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.estimated_trips if self.estimated_trips else 1.0

    @property
    def volume_inside(self) -> bool:
        return self.band["p10"] <= self.true_volume <= self.band["p90"]

    @property
    def passed(self) -> bool:
        return self.recall >= self.params.min_recall_fraction and self.volume_inside

    def to_dict(self) -> dict[str, Any]:
        return {"true_trips": self.true_trips, "estimated_trips": self.estimated_trips,
                "matched": self.matched, "recall": round(self.recall, 3),
                "precision": round(self.precision, 3),
                "true_volume": round(self.true_volume, 1), "band": self.band,
                "volume_inside": self.volume_inside, "passed": self.passed,
                "by_vessel": self.by_vessel, "missed": self.missed,
                "params": asdict(self.params)}


def _match(truth: list[tuple[str, datetime]], estimated: list[datetime],
           tolerance_s: float) -> set[str]:
    """Truth ids matched one-to-one to estimated times, nearest pairs first."""
    pairs = sorted((abs((t - e).total_seconds()), tid, j)
                   for tid, t in truth for j, e in enumerate(estimated)
                   if abs((t - e).total_seconds()) <= tolerance_s)
    used_t: set[str] = set()
    used_e: set[int] = set()
    for _, tid, j in pairs:
        if tid not in used_t and j not in used_e:
            used_t.add(tid)
            used_e.add(j)
    return used_t


def evaluate_campaign(result: CampaignResult, truth: pa.Table,
                      params: CampaignMatchParams | None = None) -> CampaignEvaluation:
    """Trips and volume of `result` against the `campaign_trip` rows of `truth` (module
    docstring). One-line error when the truth has no such rows (not a campaign scenario)."""
    params = params or CampaignMatchParams()
    rows = [r for r in truth.to_pylist() if r["kind"] == CAMPAIGN_TRIP]
    if not rows:
        raise UnreadableInputError("the truth has no campaign_trip rows: simulate with "
                                   "--scenario campaign")
    vessel_of = {v.mmsi: v.id for v in result.campaign.vessels if v.mmsi is not None}
    by_vessel: dict[str, dict[str, int]] = {}
    missed: list[str] = []
    matched = 0
    for mmsi in sorted({int(r["mmsi"]) for r in rows}):
        vid = vessel_of.get(mmsi)
        true = [(str(r["truth_id"]), r["end"]) for r in rows if int(r["mmsi"]) == mmsi]
        est = [t.at for t in result.trips if vid is not None and t.vessel == vid]
        hit = _match(true, est, params.tolerance_h * 3600)
        matched += len(hit)
        missed += sorted(tid for tid, _ in true if tid not in hit)
        by_vessel[vid or str(mmsi)] = {"true": len(true), "estimated": len(est),
                                       "matched": len(hit)}
    total = result.cumulative[-1]["total"] if result.cumulative else {
        "p10": 0.0, "p50": 0.0, "p90": 0.0}
    volume = sum(float(json.loads(r["attrs"])["load"]) for r in rows)
    return CampaignEvaluation(params, len(rows), len(result.trips), matched, volume,
                              dict(total), by_vessel, missed)
