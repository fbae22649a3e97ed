"""The case file: pydantic models of the YAML schema (docs/concepts/cases.md).

Why strict models: a case file is what an analyst publishes with a report, so a typo must not
silently drop a piece of evidence. Unknown keys are errors; times are UTC (naive times are read as
UTC); a date means the whole day, a [from, to] window runs from the start of `from` to the end of
`to` when they are dates. Gradings are Admiralty codes: source reliability A-F, information
credibility 1-6.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["Case", "Cargo", "EvidenceItem", "EvidenceKind", "PlacePoint", "Source",
           "VesselRef", "parse_observed"]

_Date = date  # a field below is called `date`
GRADING = re.compile(r"^[A-F][1-6]$")
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class EvidenceKind(StrEnum):
    IMAGERY = "imagery"
    OFFICIAL_CLAIM = "official_claim"
    MEDIA_REPORT = "media_report"
    RAIL_SIGHTING = "rail_sighting"
    PORT_RECORD = "port_record"
    AIS_EVENT = "ais_event"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlacePoint(_Model):
    """A place not in the gazetteer, given by its coordinates (and what it is: a port or naval
    base can be a sea leg's end; the default, a depot, only a land leg's)."""

    name: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    kind: Literal["seaport", "naval_base", "anchorage", "rail_terminal", "border_crossing",
                  "depot"] = "depot"


class VesselRef(_Model):
    """A vessel as a source names it: at least one of its name, IMO and MMSI. A campaign's
    vessels are the same, with an id and a capacity (`campaign.schema.CampaignVessel`)."""

    name: str | None = None
    imo: int | None = Field(default=None, ge=1_000_000, le=9_999_999)
    mmsi: int | None = Field(default=None, ge=100_000_000, le=999_999_999)
    _unnamed_hint: ClassVar[str] = " (or vessel: null)"  # what else a case file may write

    @model_validator(mode="after")
    def _something(self) -> VesselRef:
        if self.name is None and self.imo is None and self.mmsi is None:
            raise ValueError(f"give at least one of name, imo, mmsi{self._unnamed_hint}")
        return self

    @property
    def label(self) -> str:
        parts = [self.name or "unnamed vessel"]
        if self.imo:
            parts.append(f"IMO {self.imo}")
        if self.mmsi:
            parts.append(f"MMSI {self.mmsi}")
        return " ".join(parts[:1]) + (f" ({', '.join(parts[1:])})" if parts[1:] else "")


class Source(_Model):
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    date: _Date
    url: str | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        return value.date() if isinstance(value, datetime) else value


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _bound(value: Any, end: bool) -> datetime:
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            value = (date.fromisoformat(text) if len(text) == 10
                     else datetime.fromisoformat(text))
        except ValueError as exc:
            raise ValueError(f"cannot read {value!r} as a date or time (use ISO 8601, e.g. "
                             "2023-09-07 or 2023-09-07T06:00:00Z)") from exc
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, date):
        start = datetime.combine(value, time(0), tzinfo=UTC)
        return start + timedelta(days=1) if end else start
    raise ValueError(f"expected a date, a time or a [from, to] window, got {value!r}")


def _is_day(value: Any) -> bool:
    if isinstance(value, str):
        return len(value.strip()) == 10
    return isinstance(value, date) and not isinstance(value, datetime)


def parse_observed(value: Any) -> tuple[datetime, datetime]:
    """A date, a datetime or a [from, to] window -> (from, to) in UTC; dates cover whole days."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"a window is [from, to], got {len(value)} values")
        lo, hi = _bound(value[0], end=False), _bound(value[1], end=True)
        if hi < lo or (_is_day(value[0]) and _is_day(value[1]) and hi <= lo):
            raise ValueError(f"window ends ({value[1]}) before it starts ({value[0]}): "
                             "reversed window")
        return lo, hi
    lo, hi = _bound(value, end=False), _bound(value, end=True)
    return lo, max(lo, hi)


class EvidenceItem(_Model):
    id: str = Field(min_length=1)
    kind: EvidenceKind
    place: str | PlacePoint | None = None
    observed: tuple[datetime, datetime]
    what: str = Field(min_length=1)
    quantity: dict[str, float] | None = None
    vessel: VesselRef | None = None
    source: Source
    grading: str
    simulated: bool = False

    @field_validator("observed", mode="before")
    @classmethod
    def _observed(cls, value: Any) -> tuple[datetime, datetime]:
        return parse_observed(value)

    @field_validator("place", mode="before")
    @classmethod
    def _place(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("empty place name (use null for no place)")
        if value is not None and not isinstance(value, (str, dict)):
            raise ValueError("a place is a name or {name:, lat:, lon:}")
        return value

    @field_validator("grading", mode="before")
    @classmethod
    def _grading(cls, value: Any) -> str:
        text = str(value).strip().upper()
        if not GRADING.match(text):
            raise ValueError(f"unknown grading {value!r}: use an Admiralty code, source "
                             "reliability A-F then information credibility 1-6 (e.g. B2)")
        return text

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"id {value!r}: use letters, digits, '.', '_' or '-'")
        return value

    @property
    def start(self) -> datetime:
        return self.observed[0]

    @property
    def end(self) -> datetime:
        return self.observed[1]

    @property
    def place_label(self) -> str | None:
        if self.place is None:
            return None
        return self.place if isinstance(self.place, str) else self.place.name


class Cargo(_Model):
    description: str = Field(min_length=1)
    quantity: dict[str, float] | None = None


class Case(_Model):
    case: str
    title: str = Field(min_length=1)
    cargo: Cargo
    evidence: list[EvidenceItem] = Field(min_length=1)
    notes: str | None = None
    simulated: bool = False

    @field_validator("case")
    @classmethod
    def _case(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"case id {value!r}: use letters, digits, '.', '_' or '-'")
        return value

    @field_validator("evidence")
    @classmethod
    def _unique_ids(cls, items: list[EvidenceItem]) -> list[EvidenceItem]:
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise ValueError(f"evidence id {item.id!r} is used twice")
            seen.add(item.id)
        return items
