"""Read and check a campaign file: YAML -> validated `Campaign`, or path-precise problems.

The same contract as case files (`cargotrace.cases.load`): `read_campaign` raises one
`UnreadableInputError` line naming the YAML path of the first problem ("campaign.yaml:
claims[1].grading: unknown grading 'B9' ..."); `check_campaign` lists every problem, each with
its path, for `cargotrace campaign check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cargotrace.cases.campaign.schema import Campaign, reference_problems
from cargotrace.cases.check import Problem
from cargotrace.cases.load import read_yaml_mapping
from cargotrace.errors import NotFoundError, ParamsError, UnreadableInputError
from cargotrace.routes.place_book import PlaceBook
from cargotrace.screen.imo import imo_check_digit_ok

__all__ = ["PACKAGED_CAMPAIGNS", "CampaignCheck", "campaign_path", "check_campaign",
           "read_campaign"]

PACKAGED_CAMPAIGNS = ("dprk-russia-2023-2025",)
DOCS = "docs/reference/campaign-file.md"


def campaign_path(path: str | Path) -> Path:
    """`path`, or the packaged campaign of that name."""
    path = Path(path)
    name = str(path).removesuffix(".yaml")
    if not path.exists() and name in PACKAGED_CAMPAIGNS:
        return Path(str(resources.files("cargotrace").joinpath(
            "data", "campaigns", f"{name}.yaml")))
    return path


def _read_yaml(path: str | Path) -> dict[str, Any]:
    return read_yaml_mapping(
        campaign_path(path), f"packaged campaigns: {', '.join(PACKAGED_CAMPAIGNS)}",
        "a campaign file is a YAML mapping with campaign, title, start, vessels and corridors "
        f"(see {DOCS})")


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def _schema_problems(doc: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        campaign = Campaign.model_validate(doc)
    except ValidationError as exc:
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for error in exc.errors():
            if error["type"] in ("string_type", "model_type") and isinstance(
                    error.get("input"), (dict, str)) and any(
                    p in ("str", "PlacePoint") for p in error["loc"]):
                continue  # a union branch that could never apply (place: name or mapping)
            loc = tuple(p for p in error["loc"] if p not in ("str", "PlacePoint")
                        and not (isinstance(p, str) and "[" in p))
            where = _where(loc)
            if where in seen:
                continue
            seen.add(where)
            msg = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "missing":
                msg = "missing (required)"
            elif error["type"] == "extra_forbidden":
                msg = f"unknown field (check its spelling; see {DOCS})"
            out.append((where, msg))
        return out
    return reference_problems(campaign)


def read_campaign(path: str | Path) -> Campaign:
    """Read and validate a campaign file; any problem is one UnreadableInputError line."""
    doc = _read_yaml(path)
    problems = _schema_problems(doc)
    if problems:
        where, msg = problems[0]
        more = (f" (and {len(problems) - 1} more problem(s); `cargotrace campaign check` "
                "lists them)" if len(problems) > 1 else "")
        raise UnreadableInputError(f"{path}: {where}: {msg}{more}")
    return Campaign.model_validate(doc)


@dataclass
class CampaignCheck:
    path: str
    campaign: str | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "campaign": self.campaign, "ok": self.ok,
                "problems": [p.to_dict() for p in self.problems]}


def _warnings(campaign: Campaign) -> list[Problem]:
    out: list[Problem] = []
    now = datetime.now(UTC).date()
    for i, v in enumerate(campaign.vessels):
        if v.imo and not imo_check_digit_ok(v.imo):
            out.append(Problem("warning", f"vessels[{i}].imo",
                               f"IMO {v.imo} fails its check digit"))
        if v.capacity is None:
            out.append(Problem("warning", f"vessels[{i}].capacity", "none stated: `campaign "
                               "build` then needs a store with the vessel's length and beam, "
                               "else its trips are left out"))
    for i, t in enumerate(campaign.trips):
        if t.period[0].date() < campaign.start:
            out.append(Problem("warning", f"trips[{i}].period",
                               f"starts before the campaign ({campaign.start})"))
    for i, c in enumerate(campaign.claims):
        if c.source.date < c.by:
            out.append(Problem("error", f"claims[{i}].source.date",
                               f"source dated {c.source.date} is earlier than the date it "
                               f"counts to ({c.by}): dates out of order"))
        if c.by > now:
            out.append(Problem("error", f"claims[{i}].by", f"in the future ({c.by})"))
    for i, e in enumerate(campaign.evidence):
        if e.source.date < e.start.date():
            out.append(Problem("error", f"evidence[{i}].source.date",
                               f"source dated {e.source.date} is earlier than what it "
                               f"reports ({e.start:%Y-%m-%d}): dates out of order"))
    return out


def _place_problems(campaign: Campaign, book: PlaceBook) -> list[Problem]:
    """Corridor ends and evidence places that are unknown or ambiguous in `book`: never
    guessed, as in case files."""
    names = [(f"corridors[{i}].from", c.origin) for i, c in enumerate(campaign.corridors)]
    names += [(f"corridors[{i}].to", c.destination) for i, c in enumerate(campaign.corridors)]
    names += [(f"evidence[{i}].place", e.place) for i, e in enumerate(campaign.evidence)
              if isinstance(e.place, str)]
    out = []
    for where, name in names:
        try:
            book.resolve(name)
        except (NotFoundError, ParamsError) as exc:
            out.append(Problem("error", where, str(exc)))
    return out


def check_campaign(path: str | Path, book: PlaceBook | None = None) -> CampaignCheck:
    """Every problem of the campaign file at `path` (an unreadable file raises one line);
    places resolve in `book` (default: the curated gazetteer)."""
    doc = _read_yaml(path)
    report = CampaignCheck(str(path), str(doc["campaign"]) if doc.get("campaign") else None)
    problems = _schema_problems(doc)
    if problems:
        report.problems = [Problem("error", w, m) for w, m in problems]
        return report
    campaign = Campaign.model_validate(doc)
    report.problems = (_place_problems(campaign, book or PlaceBook.curated())
                       + _warnings(campaign))
    return report
