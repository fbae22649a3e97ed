"""The campaign file: pydantic models of the YAML schema (docs/reference/campaign-file.md).

Why a file of its own, not a case file: a case follows one shipment from place to place; a
campaign is a flow over months (vessels shuttling on corridors, counts of trips, official
claims of cumulative volume). It reuses the case file's evidence items, sources and Admiralty
gradings, and is as strict: unknown keys are errors, every reference (a trip's vessel, corridor
or evidence id) must exist, and every number comes with the words that justify it (`basis`).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cargotrace.cases.schema import (
    GRADING,
    SLUG,
    EvidenceItem,
    Source,
    VesselRef,
    parse_observed,
)

__all__ = ["Campaign", "CampaignVessel", "Claim", "Corridor", "Qualifier", "Triangular",
           "TripsEntry"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _slug(value: str, what: str) -> str:
    if not SLUG.match(value):
        raise ValueError(f"{what} {value!r}: use letters, digits, '.', '_' or '-'")
    return value


class Triangular(_Model):
    """An uncertain quantity: lowest plausible, most likely, highest plausible, and why."""

    low: float = Field(ge=0)
    mode: float = Field(ge=0)
    high: float = Field(ge=0)
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"need low <= mode <= high, got {self.low}, {self.mode}, "
                             f"{self.high}")
        return self


class CampaignVessel(VesselRef):
    """A vessel of the campaign: named as in case files (`VesselRef`), with the id claims and
    trips refer to it by, and what one trip can carry."""

    id: str
    capacity: Triangular | None = None
    """Units (the campaign's `unit`) one trip can carry; from the store's dimensions if absent."""
    _unnamed_hint: ClassVar[str] = ""

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _slug(value, "vessel id")

    @property
    def label(self) -> str:
        return f"{self.name or self.id}" + (f" (IMO {self.imo})" if self.imo else "")


class Corridor(_Model):
    """A route the flow can take: its two ends (place names, as in case files) and mode."""

    id: str
    origin: str = Field(min_length=1, alias="from")
    destination: str = Field(min_length=1, alias="to")
    mode: str = Field(pattern=r"^(sea|rail|road|air)$")
    vessels: list[str] = Field(default_factory=list)
    min_round_trip_d: float | None = Field(default=None, gt=0)
    """Fastest plausible round trip (sailing both ways and both port stays), for the most
    trips the corridor's vessels could have made by a date."""
    basis: str | None = None
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _slug(value, "corridor id")


class TripsEntry(_Model):
    """Deliveries (laden trips origin -> destination, i.e. round trips) evidenced on a
    corridor: one dated trip, or a count over a period (spread evenly over it)."""

    id: str
    corridor: str
    vessels: list[str] = Field(min_length=1)
    period: tuple[datetime, datetime]
    round_trips: int = Field(default=1, ge=1)
    includes: list[str] = Field(default_factory=list)
    """Ids of other entries counted inside `round_trips` (so they are not counted twice)."""
    evidence: list[str] = Field(min_length=1)
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _slug(value, "trips id")

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, value: Any) -> tuple[datetime, datetime]:
        return parse_observed(value)


class Qualifier(StrEnum):
    MORE_THAN = "more_than"
    AT_LEAST = "at_least"
    ABOUT = "about"
    AT_MOST = "at_most"


class Claim(_Model):
    """A quantified statement of cumulative volume: `qualifier quantity` units by `by`."""

    id: str
    quantity: float = Field(gt=0)
    qualifier: Qualifier
    by: date
    since: date | None = None
    corridor: str | None = None
    statement: str = Field(min_length=1)
    source: Source
    grading: str

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _slug(value, "claim id")

    @field_validator("grading", mode="before")
    @classmethod
    def _grading(cls, value: Any) -> str:
        text = str(value).strip().upper()
        if not GRADING.match(text):
            raise ValueError(f"unknown grading {value!r}: use an Admiralty code, source "
                             "reliability A-F then information credibility 1-6 (e.g. B2)")
        return text


def _unique(items: list[Any], what: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"{what} id {item.id!r} is used twice")
        seen.add(item.id)


class Campaign(_Model):
    campaign: str
    title: str = Field(min_length=1)
    unit: str = Field(default="containers", min_length=1)
    start: date
    notes: str | None = None
    simulated: bool = False
    load_factor: Triangular | None = None
    vessels: list[CampaignVessel] = Field(min_length=1)
    corridors: list[Corridor] = Field(min_length=1)
    trips: list[TripsEntry] = Field(default_factory=list)
    evidence: list[EvidenceItem] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)

    @field_validator("campaign")
    @classmethod
    def _campaign(cls, value: str) -> str:
        return _slug(value, "campaign id")

    @model_validator(mode="after")
    def _references(self) -> Campaign:
        for items, what in ((self.vessels, "vessel"), (self.corridors, "corridor"),
                            (self.trips, "trips"), (self.evidence, "evidence"),
                            (self.claims, "claim")):
            _unique(items, what)
        return self

    def vessel(self, vessel_id: str) -> CampaignVessel:
        return next(v for v in self.vessels if v.id == vessel_id)

    def corridor(self, corridor_id: str) -> Corridor:
        return next(c for c in self.corridors if c.id == corridor_id)


def reference_problems(campaign: Campaign) -> list[tuple[str, str]]:
    """(YAML path, message) of every reference to an id the file does not define."""
    vessels = {v.id for v in campaign.vessels}
    corridors = {c.id for c in campaign.corridors}
    evidence = {e.id for e in campaign.evidence}
    trips = {t.id for t in campaign.trips}
    out: list[tuple[str, str]] = []

    def missing(where: str, value: str, known: set[str], what: str) -> None:
        if value not in known:
            listed = ", ".join(sorted(known)) or "none"
            out.append((where, f"no {what} {value!r} in the file ({what}s: {listed})"))

    for i, c in enumerate(campaign.corridors):
        for j, v in enumerate(c.vessels):
            missing(f"corridors[{i}].vessels[{j}]", v, vessels, "vessel")
    for i, t in enumerate(campaign.trips):
        missing(f"trips[{i}].corridor", t.corridor, corridors, "corridor")
        for j, v in enumerate(t.vessels):
            missing(f"trips[{i}].vessels[{j}]", v, vessels, "vessel")
        for j, e in enumerate(t.evidence):
            missing(f"trips[{i}].evidence[{j}]", e, evidence, "evidence item")
        for j, other in enumerate(t.includes):
            missing(f"trips[{i}].includes[{j}]", other, trips - {t.id}, "trips entry")
        if len(t.includes) > t.round_trips:
            out.append((f"trips[{i}].includes", f"includes {len(t.includes)} entries but "
                        f"counts only {t.round_trips} round trip(s)"))
    return out + _claim_problems(campaign, corridors)


def _claim_problems(campaign: Campaign, corridors: set[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for i, claim in enumerate(campaign.claims):
        if claim.corridor is not None and claim.corridor not in corridors:
            out.append((f"claims[{i}].corridor", f"no corridor {claim.corridor!r} in the file "
                        f"(corridors: {', '.join(sorted(corridors))})"))
        if claim.since is not None and claim.since > claim.by:
            out.append((f"claims[{i}].since", f"since ({claim.since}) is after by "
                        f"({claim.by}): reversed window"))
    return out
