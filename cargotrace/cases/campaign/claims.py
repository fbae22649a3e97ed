"""Claims against capacity: is "more than 20,000 containers by May 2025" consistent with the
trips that are evidenced, and if not, what would have to be true for it?

Verdicts (every one with its numbers):
- `consistent`: the evidenced volume by the claim's date can reach the claim: for "more than" /
  "at least", the claim is at most the P90 of the evidenced volume; for "about", the claim's
  range (quantity +/- about_tolerance_fraction) meets the P10-P90 band; for "at most", the
  claim is at least the P10.
- `needs_unseen_trips`: the evidence falls short, but the campaign's corridors could carry the
  rest: the unseen round trips needed (at the median load of one trip of the corridor's ships)
  fit in the most round trips the listed ships could have made by then (their
  `min_round_trip_d`), or no corridor states a fastest round trip to bound it.
- `inconsistent`: every corridor that could carry it is bounded and the listed ships could not
  have made the unseen trips by the claim's date even at their fastest round trip (it needs
  vessels or corridors the file does not list), or the evidence already exceeds an "about" or
  "at most" claim. While a corridor without a bound (e.g. rail with no stated capacity) is
  listed, a shortfall is `needs_unseen_trips`, naming that corridor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import numpy as np

from cargotrace.cases.campaign.params import CampaignParams
from cargotrace.cases.campaign.schema import Campaign, Claim, Qualifier
from cargotrace.cases.campaign.volume import Band, Draws, band

__all__ = ["ClaimVerdict", "CorridorOption", "judge_claim"]


@dataclass(frozen=True)
class CorridorOption:
    """One way to close a claim's shortfall: more round trips on one corridor alone."""

    corridor: str
    trip_load_p50: float | None  # one round trip of its ships; None without ships
    unseen_trips: int | None  # its round trips that would carry the shortfall (at P50s)
    spare_trips: int | None  # round trips its ships could still make by then; None: unbounded
    feasible: bool | None  # unseen_trips <= spare_trips; None when either is unknown

    def to_dict(self) -> dict[str, Any]:
        return {"corridor": self.corridor, "trip_load_p50": None if self.trip_load_p50 is None
                else round(self.trip_load_p50, 1), "unseen_trips": self.unseen_trips,
                "spare_trips": self.spare_trips, "feasible": self.feasible}


@dataclass(frozen=True)
class ClaimVerdict:
    claim: Claim
    verdict: str  # consistent | needs_unseen_trips | inconsistent
    evidenced_trips: int
    evidenced_volume: Band
    p_reaches: float  # share of draws in which the evidenced volume reaches the quantity
    trip_load: Band  # units one round trip of the corridor's ships carries
    needed_trips: int  # round trips needed at the median trip load
    unseen_trips: int  # round trips carrying the shortfall (quantity - evidenced P50)
    max_feasible_trips: int | None  # most round trips the listed ships could make by then
    corridors_needed: list[str]  # corridors without a bound that could carry the rest
    explanation: str
    options: list[CorridorOption]  # per corridor: the unseen trips that would close the gap

    def to_dict(self) -> dict[str, Any]:
        c = self.claim
        return {
            "claim": c.id, "qualifier": str(c.qualifier), "quantity": c.quantity,
            "by": c.by.isoformat(), "since": c.since.isoformat() if c.since else None,
            "corridor": c.corridor, "statement": c.statement, "grading": c.grading,
            "source": c.source.model_dump(mode="json"), "verdict": self.verdict,
            "evidenced_trips": self.evidenced_trips,
            "evidenced_volume": self.evidenced_volume.to_dict(),
            "p_reaches": round(self.p_reaches, 3), "trip_load": self.trip_load.to_dict(),
            "needed_trips": self.needed_trips, "unseen_trips": self.unseen_trips,
            "max_feasible_trips": self.max_feasible_trips,
            "corridors_needed": self.corridors_needed, "explanation": self.explanation,
            "options": [o.to_dict() for o in self.options],
        }


def day_end(day: Any) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC) + timedelta(days=1)


def day_start(day: Any) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _feasible(campaign: Campaign, claim: Claim, since: datetime) -> tuple[int | None, list[str]]:
    """Most round trips the bounded corridors' ships could make in [since, by], and the ids of
    the corridors with no bound (no min_round_trip_d or no vessels)."""
    # the listed ships are on the campaign from its start, not from an earlier `since`
    days = (day_end(claim.by) - max(since, day_start(campaign.start))).total_seconds() / 86400
    total, unbounded = 0, []
    corridors = [c for c in campaign.corridors if claim.corridor in (None, c.id)]
    for c in corridors:
        if c.min_round_trip_d is None or not c.vessels:
            unbounded.append(c.id)
            continue
        total += len(c.vessels) * math.floor(days / c.min_round_trip_d)
    bounded = len(unbounded) < len(corridors)
    return (total if bounded else None), unbounded


def _options(campaign: Campaign, claim: Claim, draws: Draws, since: datetime,
             shortfall: float) -> list[CorridorOption]:
    """Per corridor the claim can use: round trips of its own ships that would carry the
    shortfall (quantity - evidenced P50), and how many its ships could still make by then."""
    until = day_end(claim.by)
    days = (until - max(since, day_start(campaign.start))).total_seconds() / 86400
    out = []
    for c in campaign.corridors:
        if claim.corridor not in (None, c.id):
            continue
        ships = [v for v in c.vessels if v in draws.vessel_loads]
        load = float(np.median(draws.trip_load(ships))) if ships else None
        unseen = math.ceil(shortfall / load) if load else None
        spare = None
        if c.min_round_trip_d is not None and c.vessels:
            seen = sum(1 for t in draws.trips if t.corridor == c.id and since <= t.at <= until)
            spare = max(0, len(c.vessels) * math.floor(days / c.min_round_trip_d) - seen)
        feasible = None if unseen is None or spare is None else unseen <= spare
        out.append(CorridorOption(c.id, load, unseen, spare, feasible))
    return out


def judge_claim(campaign: Campaign, claim: Claim, draws: Draws,
                params: CampaignParams) -> ClaimVerdict:
    """The verdict on one claim (module docstring), with the numbers behind it."""
    since = day_start(claim.since or campaign.start)
    until = day_end(claim.by)
    volume = draws.volume(until, since, claim.corridor)
    evidenced = band(volume)
    trips = sum(1 for t in draws.trips if since <= t.at <= until
                and claim.corridor in (None, t.corridor))
    fleet = sorted({v for c in campaign.corridors if claim.corridor in (None, c.id)
                    for v in c.vessels if v in draws.vessel_loads}) or sorted(draws.vessel_loads)
    trip_load = band(draws.trip_load(fleet)) if fleet else Band(0.0, 0.0, 0.0)
    q = claim.quantity
    p_reaches = float(np.mean(volume >= q)) if volume.size else 0.0
    needed = math.ceil(q / trip_load.p50) if trip_load.p50 > 0 else 0
    # the shortfall at the median: evidenced trips count with their evidence's weight
    shortfall = max(0.0, q - evidenced.p50)
    unseen = math.ceil(shortfall / trip_load.p50) if trip_load.p50 > 0 else 0
    feasible, unbounded = _feasible(campaign, claim, since)
    tol = params.about_tolerance_fraction
    low_q, high_q = (q * (1 - tol), q * (1 + tol)) if claim.qualifier is Qualifier.ABOUT else (q, q)
    unit = campaign.unit
    numbers = (f"{trips} round trip(s) evidenced from {since:%Y-%m-%d} to {claim.by} carry "
               f"{evidenced.p10:,.0f}-{evidenced.p90:,.0f} {unit} (P10-P90, median "
               f"{evidenced.p50:,.0f}; reaches {q:,.0f} in {p_reaches:.0%} of draws); one "
               f"round trip carries about {trip_load.p50:,.0f}, so "
               f"{claim.qualifier.replace('_', ' ')} {q:,.0f} needs about {needed} round "
               "trip(s)")
    if claim.qualifier is Qualifier.AT_MOST and evidenced.p10 > q:
        verdict, why = "inconsistent", f"the evidence alone already exceeds it (P10 "\
            f"{evidenced.p10:,.0f} > {q:,.0f})"
    elif claim.qualifier is Qualifier.ABOUT and evidenced.p10 > high_q:
        verdict, why = "inconsistent", (f"the evidence alone already exceeds it (P10 "
                                        f"{evidenced.p10:,.0f} > {high_q:,.0f})")
    elif claim.qualifier is Qualifier.AT_MOST or evidenced.p90 >= low_q:
        verdict, why = "consistent", "the evidenced trips can account for it"
    elif feasible is not None and unseen > feasible - trips and not unbounded:
        verdict, why = "inconsistent", (
            f"{unseen} unseen round trip(s) would be needed, but the listed ships could make "
            f"at most {feasible} by then at their fastest round trip: it needs other vessels "
            "or corridors")
    else:
        cap = (f" (the listed ships could make up to {feasible} by then)"
               if feasible is not None else "")
        other = (f", or the rest carried by corridors without a bound: {', '.join(unbounded)}"
                 if unbounded else "")
        verdict, why = "needs_unseen_trips", f"{unseen} unseen round trip(s) needed{cap}{other}"
    options = ([] if verdict == "consistent" else
               _options(campaign, claim, draws, since, shortfall))
    ways = "; ".join(
        f"{o.corridor}: {o.unseen_trips} more round trip(s) "
        + ("(no bound stated)" if o.spare_trips is None else f"of {o.spare_trips} possible")
        if o.unseen_trips is not None else f"{o.corridor}: unquantified (no ships or capacity)"
        for o in options)
    explanation = (f"{claim.id}: {verdict.replace('_', ' ')}: {numbers}; {why}."
                   + (f" By one corridor alone: {ways}." if ways else ""))
    return ClaimVerdict(claim, verdict, trips, evidenced, p_reaches, trip_load, needed,
                        unseen, feasible, unbounded if verdict != "consistent" else [],
                        explanation, options)
