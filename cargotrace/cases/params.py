"""Case-building parameters: grading weights, time-fit thresholds, vessel matching, corridors.

Every figure is a documented default (docs/concepts/cases.md explains the reasoning). Weights map
the Admiralty code to how much a piece of evidence can move a hypothesis: a leg resting on
evidence of weight w whose time fit is f contributes 1 - w x (1 - f); an anchor a hypothesis
does not explain contributes 1 - w.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from cargotrace.errors import ParamsError

__all__ = ["CORRIDORS", "CREDIBILITY_WEIGHTS", "RELIABILITY_WEIGHTS", "CaseParams", "Corridor",
           "DEST"]

# Admiralty (NATO STANAG 2511) source reliability A-F and information credibility 1-6.
# F and 6 ("cannot be judged") are not evidence against anything, but not much for it either.
RELIABILITY_WEIGHTS: dict[str, float] = {
    "A": 1.0,  # completely reliable
    "B": 0.8,  # usually reliable
    "C": 0.6,  # fairly reliable
    "D": 0.4,  # not usually reliable
    "E": 0.2,  # unreliable
    "F": 0.3,  # reliability cannot be judged
}
CREDIBILITY_WEIGHTS: dict[str, float] = {
    "1": 1.0,  # confirmed by other sources
    "2": 0.8,  # probably true
    "3": 0.6,  # possibly true
    "4": 0.4,  # doubtful
    "5": 0.2,  # improbable
    "6": 0.3,  # truth cannot be judged
}

DEST = "@destination"  # in a corridor: the span's last place


@dataclass(frozen=True)
class Corridor:
    """A named alternative explanation of the whole span: planned segment by segment.

    `segments` are (to_place, modes, avoid): the first starts at the span's first anchor, `DEST`
    stands for its last. A corridor whose via place is an end of the span is skipped.
    """

    name: str
    segments: tuple[tuple[str, str, tuple[str, ...]], ...]


# The explanations argued in public for North Korea -> Russia (White House, Nov 2022 and Oct
# 2023; RUSI, Oct 2023): docs/concepts/cases.md.
CORRIDORS: tuple[Corridor, ...] = (
    Corridor("sea + Trans-Siberian rail",
             (("ct:vladivostok", "sea", ()), (DEST, "rail", ()))),
    Corridor("rail via Tumangang–Khasan",
             (("ct:khasan-tumangang", "rail", ()), (DEST, "rail", ()))),
    Corridor("sea via Suez to the Black Sea",
             (("ct:novorossiysk", "sea", ()), (DEST, "rail", ()))),
    Corridor("rail via China–Kazakhstan and the Caspian",
             (("ct:dandong-sinuiju", "rail", ()), ("ct:amirabad", "rail", ("RU",)),
              ("ct:astrakhan", "ferry", ()), (DEST, "rail", ()))),
)


def _f(default: float, help: str) -> float:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class CaseParams:
    """How evidence becomes anchors, legs, candidate vessels and scores (`case build`)."""

    context_min_window_h: float = _f(168.0, "An item observed over a window at least this long "
                                     "(hours) is context (e.g. 'shuttled Aug-Oct'), not a time "
                                     "anchor of the chain")
    alternatives_per_leg: int = field(default=3, metadata={
        "help": "Routes planned per leg between consecutive anchors (the best and its "
                "alternatives, all scored)"})
    infeasible_below_p: float = _f(0.01, "A leg is infeasible when the probability that its "
                                   "fastest route fits in the time the evidence allows is below "
                                   "this (P(T <= available) < 1 %)")
    evidence_gap_h: float = _f(168.0, "Flag an evidence gap when a leg's available time exceeds "
                               "the best route's P90 by more than this many hours")
    vessel_window_slack_h: float = _f(24.0, "Hours an event may lie outside a leg's depart or "
                                      "arrive window and still place a vessel there")
    vessel_near_km: float = _f(30.0, "A gap starting or ending this close to a place (km beyond "
                               "its radius) counts as the vessel having been there")
    max_candidates: int = field(default=5, metadata={
        "help": "Candidate vessels listed per sea leg, best first"})
    wait_mean_h: float = _f(168.0, "Mean of the wait (hours, exponential) between a sighting "
                            "and the cargo's departure or arrival that the route model does not "
                            "cover (a yard, a quay); the time fit is the likelihood of the "
                            "observed interval as route time + wait")
    decisive_ratio: float = field(default=3.0, metadata={
        "unit": "ratio", "help": "The ranking is decisive when the best hypothesis is at least "
        "this many times as likely as the next (Kass and Raftery: a Bayes factor under 3 is "
        "barely worth mentioning)"})

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not value > 0:
                raise ParamsError(f"{f.name} must be positive, got {value}")
        if self.infeasible_below_p >= 1:
            raise ParamsError("infeasible_below_p must be below 1")
        if self.decisive_ratio < 1:
            raise ParamsError("decisive_ratio must be at least 1")


def grading_weight(grading: str) -> float:
    """Weight in [0, 1] of an Admiralty code: reliability weight x credibility weight."""
    return RELIABILITY_WEIGHTS[grading[0]] * CREDIBILITY_WEIGHTS[grading[1]]
