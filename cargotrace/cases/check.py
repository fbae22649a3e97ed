"""`case check`: validate a case file and report what is inconsistent, without a store.

Errors (the file cannot be built as written): schema problems (missing fields, unknown fields,
reversed windows, unknown gradings, bad dates), places that are unknown or ambiguous, and sources
dated before what they report. Warnings: items out of time order in the file, one place's
sighting overlapping another's (the cargo cannot be in two places at once unless it was split),
IMO numbers failing their check digit, fewer than two anchors to chain.

It also says, per evidence item, which carrier the item names (a ship, railcars, trucks; by
its vessel, its kind or its words, carriers.py) and which leg between consecutive anchors it
pins to that carrier, together with which other items: so an analyst sees, before a build, why
a hypothesis will rank where it does.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cargotrace.cases.anchors import Resolved, build_anchors, is_anchor, resolve_items
from cargotrace.cases.carriers import carrier_mention, named_carriers
from cargotrace.cases.load import parse_case, read_yaml, schema_problems
from cargotrace.cases.params import CaseParams
from cargotrace.routes.place_book import PlaceBook
from cargotrace.screen.imo import imo_check_digit_ok

__all__ = ["CarrierLine", "CheckReport", "Problem", "check_case"]


@dataclass(frozen=True)
class Problem:
    level: str  # error | warning
    where: str  # YAML path, e.g. evidence[2].observed
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"level": self.level, "where": self.where, "message": self.message}


@dataclass(frozen=True)
class CarrierLine:
    """The carrier one evidence item names, and the leg it pins to it (if any)."""

    where: str  # evidence[3]
    evidence: str  # the item's id
    mode: str  # sea | rail | road
    carrier: str  # 'imo:9179842', 'ship', 'rail', 'road'
    because: str  # "ship ANGARA (IMO 9179842)", "words: вагон (ru)"
    leg: str | None = None  # 'Najin → Dunay'
    with_items: tuple[str, ...] = ()  # the other items naming the carrier on that leg

    @property
    def message(self) -> str:
        text = f"{self.evidence} names a {self.mode} carrier ({self.because})"
        if self.leg is None:
            return text + "; no item at the next or previous anchor names the same carrier, " \
                "so it pins no leg"
        return (text + f"; with {', '.join(self.with_items)} it makes {self.leg} a {self.mode} "
                "leg: hypotheses by another mode there rank below")

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "evidence": self.evidence, "mode": self.mode,
                "carrier": self.carrier, "because": self.because, "leg": self.leg,
                "with": list(self.with_items), "message": self.message}


@dataclass
class CheckReport:
    path: str
    case: str | None
    evidence: int
    anchors: int
    problems: list[Problem] = field(default_factory=list)
    carriers: list[CarrierLine] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "case": self.case, "ok": self.ok, "evidence": self.evidence,
                "anchors": self.anchors, "problems": [p.to_dict() for p in self.problems],
                "carriers": [c.to_dict() for c in self.carriers]}


def _order_problems(resolved: list[Resolved], params: CaseParams) -> list[Problem]:
    out: list[Problem] = []
    anchors = [r for r in resolved if is_anchor(r, params)]
    for prev, cur in itertools.pairwise(anchors):
        if cur.item.start < prev.item.start:
            out.append(Problem("warning", f"evidence[{cur.index}].observed",
                               f"{cur.item.id} ({cur.item.start:%Y-%m-%d}) is listed after "
                               f"{prev.item.id} ({prev.item.start:%Y-%m-%d}) but observed "
                               "before it: dates out of order (build sorts by time)"))
    for a, b in itertools.combinations(anchors, 2):
        assert a.place is not None and b.place is not None
        if (a.place.place_id != b.place.place_id and a.item.start < b.item.end
                and b.item.start < a.item.end):
            out.append(Problem("warning", f"evidence[{b.index}].observed",
                               f"{b.item.id} at {b.place.name} overlaps {a.item.id} at "
                               f"{a.place.name} in time: the cargo would be in two places at "
                               "once (unless it was split)"))
    return out


def check_case(path: str | Path, book: PlaceBook | None = None,
               params: CaseParams | None = None) -> CheckReport:
    """Every problem of the case file at `path` (an unreadable file raises one error line)."""
    params = params or CaseParams()
    doc = read_yaml(path)
    items = doc.get("evidence") if isinstance(doc.get("evidence"), list) else []
    report = CheckReport(str(path), str(doc.get("case")) if doc.get("case") else None,
                         len(items or []), 0)
    problems = schema_problems(doc)
    if problems:
        report.problems = [Problem("error", w, m) for w, m in problems]
        return report
    case = parse_case(doc, str(path))
    resolved, flags = resolve_items(case, book or PlaceBook.curated())
    for flag in flags:
        i = next(r.index for r in resolved if r.item.id == flag.evidence[0])
        report.problems.append(Problem("error", f"evidence[{i}].place", flag.message))
    now = datetime.now(UTC)
    for r in resolved:
        item, where = r.item, f"evidence[{r.index}]"
        if item.source.date < item.start.date():
            report.problems.append(Problem(
                "error", f"{where}.source.date", f"source dated {item.source.date} is earlier "
                f"than what it reports ({item.start:%Y-%m-%d}): dates out of order"))
        if item.start > now:
            report.problems.append(Problem("error", f"{where}.observed",
                                           f"observed in the future ({item.start:%Y-%m-%d})"))
        if item.vessel is not None and item.vessel.imo and not imo_check_digit_ok(
                item.vessel.imo):
            report.problems.append(Problem("warning", f"{where}.vessel.imo",
                                           f"IMO {item.vessel.imo} fails its check digit"))
    report.problems += _order_problems(resolved, params)
    report.anchors = len({(r.place.place_id if r.place else None, r.item.start)
                          for r in resolved if is_anchor(r, params)})
    report.carriers = _carrier_lines(resolved, params)
    if report.anchors < 2:
        report.problems.append(Problem("warning", "evidence", "fewer than two dated, placed "
                                       "sightings: `case build` has no leg to reconstruct"))
    return report


def _carrier_lines(resolved: list[Resolved], params: CaseParams) -> list[CarrierLine]:
    """Per item naming a carrier: what it names, why, and the leg it pins (as `case build`
    would: anchors and named carriers computed the same way)."""
    anchors = build_anchors(resolved, params)
    context = [r for r in resolved if r.place is None or not is_anchor(r, params)]
    legs: dict[str, tuple[str, tuple[str, ...]]] = {}
    for c in named_carriers(anchors, context, params.vessel_window_slack_h):
        name = f"{c.start.place.name} → {c.end.place.name}"
        for item in c.evidence:
            legs.setdefault(item, (name, tuple(i for i in c.evidence if i != item)))
    out = []
    for r in resolved:
        mention = carrier_mention(r)
        if mention is None:
            continue
        pinned = legs.get(r.item.id)
        out.append(CarrierLine(f"evidence[{r.index}]", r.item.id, mention.mode, mention.key,
                               mention.because, pinned[0] if pinned else None,
                               pinned[1] if pinned else ()))
    return out
