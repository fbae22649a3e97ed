"""The cumulative-volume chart: the estimate as a P10-P90 band with its P50 line, month by
month, and each claim as a point at (the day it counts to, the quantity claimed).

Why static SVG with the numbers on every mark: the report opens offline and prints as it looks,
and a reader (or a test) can check any mark against the tables: every month's point carries its
trips and P10/P50/P90 (`data-*` and a tooltip), every claim point its quantity, date, source,
grading and verdict. The plot's geometry is on the `<svg>` (`data-plot`, `data-t0`, `data-t1`,
`data-y-max`) so a mark's position can be recomputed from its numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from cargotrace.cases.campaign.claims import day_end, day_start
from cargotrace.publish.report.times import as_utc

__all__ = ["ChartPoint", "bounded", "render_volume_chart", "series_points"]

WIDTH, HEIGHT = 1000.0, 380.0
LEFT, RIGHT, TOP, BOTTOM = 78.0, 24.0, 18.0, 44.0
LABEL_CHARS = 48  # a claim's label beside its point
TITLE_CHARS = 400  # a tooltip's untrusted text
CSS = """
.cv-bg{fill:#ffffff}.cv-grid{stroke:#e3e3e3;stroke-width:1}.cv-axis{font:10px sans-serif;fill:#333}
.cv-band{fill:#1f5f99;fill-opacity:0.18;stroke:none}.cv-p50{fill:none;stroke:#1f5f99;stroke-width:2}
.cv-point{fill:#1f5f99}.cv-claim{stroke:#111;stroke-width:1.2}
.cv-consistent{fill:#2a9d8f}.cv-needs_unseen_trips{fill:#e9b200}.cv-inconsistent{fill:#d62828}
.cv-since{fill-opacity:0.25}.cv-about{stroke:#555;stroke-width:1.5}
.cv-label{font:10.5px sans-serif;fill:#111}.cv-title{font:700 11px sans-serif;fill:#111}
"""


def bounded(text: str | None, limit: int) -> str:
    """Untrusted text cut to `limit` characters (with an ellipsis): a source title of a
    megabyte must not bury the report."""
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


@dataclass(frozen=True)
class ChartPoint:
    """The estimate by `at`: trips dated by then and the volume band."""

    at: datetime
    trips: int
    p10: float
    p50: float
    p90: float


def series_points(cumulative: list[dict[str, Any]], start: date,
                  corridor: str | None = None) -> list[ChartPoint]:
    """The band's points: zero at the campaign's start, then every month end of `cumulative`
    (the total, or one corridor's band)."""
    out = [ChartPoint(day_start(start), 0, 0.0, 0.0, 0.0)]
    for row in cumulative:
        b = row["total"] if corridor is None else row.get("corridors", {}).get(corridor)
        if b is None:
            continue
        out.append(ChartPoint(as_utc(row["date"]), int(row["trips"]), b["p10"], b["p50"],
                              b["p90"]))
    return out


def _nice_max(value: float) -> tuple[float, float]:
    """An axis top at or above `value` and a tick step giving 4-8 ticks."""
    value = max(value, 1.0)
    step = 10 ** math.floor(math.log10(value / 5))
    for m in (1, 2, 5, 10):
        if value / (step * m) <= 8:
            step *= m
            break
    return step * math.ceil(value / step), step


@dataclass(frozen=True)
class _Frame:
    t0: datetime
    t1: datetime
    y_max: float

    @property
    def plot_w(self) -> float:
        return WIDTH - LEFT - RIGHT

    @property
    def plot_h(self) -> float:
        return HEIGHT - TOP - BOTTOM

    def x(self, t: datetime) -> float:
        span = max((self.t1 - self.t0).total_seconds(), 86400.0)
        return LEFT + self.plot_w * (as_utc(t) - self.t0).total_seconds() / span

    def y(self, v: float) -> float:
        return TOP + self.plot_h * (1 - v / self.y_max)


def _axes(frame: _Frame, step: float, unit: str) -> list[str]:
    out = []
    v = 0.0
    while v <= frame.y_max + 1e-9:
        y = frame.y(v)
        out.append(f'<line class="cv-grid" x1="{LEFT:.1f}" y1="{y:.1f}" '
                   f'x2="{WIDTH - RIGHT:.1f}" y2="{y:.1f}"/>'
                   f'<text class="cv-axis" x="{LEFT - 6:.1f}" y="{y + 3.5:.1f}" '
                   f'text-anchor="end">{v:,.0f}</text>')
        v += step
    months = max(1, round((frame.t1 - frame.t0).days / 30.4 / 10))  # about 10 labels
    at = datetime(frame.t0.year, frame.t0.month, 1, tzinfo=frame.t0.tzinfo)
    k = 0
    while at <= frame.t1:
        if at >= frame.t0 and k % months == 0:
            x = frame.x(at)
            out.append(f'<line class="cv-grid" x1="{x:.1f}" y1="{TOP:.1f}" x2="{x:.1f}" '
                       f'y2="{HEIGHT - BOTTOM:.1f}"/><text class="cv-axis" x="{x:.1f}" '
                       f'y="{HEIGHT - BOTTOM + 14:.1f}" text-anchor="middle">'
                       f'{at:%b %Y}</text>')
        k += at >= frame.t0
        at = datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=at.tzinfo)
    out.append(f'<text class="cv-axis" x="{LEFT - 6:.1f}" y="{TOP - 6:.1f}" '
               f'text-anchor="end">{escape(bounded(unit, 24))}</text>')
    return out


def _claim_mark(frame: _Frame, n: int, claim: dict[str, Any], tolerance: float) -> str:
    at = day_end(date.fromisoformat(claim["by"]))
    x, y = frame.x(at), frame.y(claim["quantity"])
    since = claim.get("since")
    cls = f"cv-claim cv-{claim['verdict']}" + (" cv-since" if since else "")
    src = claim["source"]
    title = (f"claim {n}: {claim['qualifier'].replace('_', ' ')} {claim['quantity']:,.0f} by "
             f"{claim['by']}" + (f" (counted from {since})" if since else "")
             + f"; {bounded(claim['statement'], TITLE_CHARS)}; {bounded(src.get('publisher'), 120)}"
             f", {src.get('date')}, graded {claim['grading']}; verdict "
             f"{claim['verdict'].replace('_', ' ')}")
    about = ""
    if claim["qualifier"] == "about":
        lo, hi = claim["quantity"] * (1 - tolerance), claim["quantity"] * (1 + tolerance)
        about = (f'<line class="cv-about" x1="{x:.1f}" y1="{frame.y(lo):.1f}" x2="{x:.1f}" '
                 f'y2="{frame.y(min(hi, frame.y_max)):.1f}"/>')
    label = bounded(f"{n} · {src.get('publisher') or claim['claim']}", LABEL_CHARS)
    anchor = "end" if x > WIDTH - RIGHT - 200 else "start"
    lx = x - 8 if anchor == "end" else x + 8
    return (f'<g class="cv-claim-mark" data-claim={quoteattr(claim["claim"])} '
            f'data-quantity="{claim["quantity"]:g}" data-by="{claim["by"]}" '
            f'data-verdict="{claim["verdict"]}"><title>{escape(title)}</title>{about}'
            f'<circle class="{cls}" cx="{x:.2f}" cy="{y:.2f}" r="5.5"/>'
            f'<text class="cv-label" x="{lx:.1f}" y="{y - 7:.1f}" text-anchor="{anchor}">'
            f'{escape(label)}</text></g>')


def render_volume_chart(points: list[ChartPoint], claims: list[tuple[int, dict[str, Any]]],
                        unit: str, title: str, element_id: str, tolerance: float) -> str:
    """The SVG text: band, P50 line, month points and claim points (`claims`: (number, the
    claim's `to_dict()`)). Claim dates beyond the estimate's last month widen the axis."""
    ends = [p.at for p in points] + [day_end(date.fromisoformat(c["by"])) for _, c in claims]
    top = max([p.p90 for p in points] + [c["quantity"] * (1 + tolerance if
               c["qualifier"] == "about" else 1) for _, c in claims] + [1.0])
    y_max, step = _nice_max(top * 1.05)
    frame = _Frame(points[0].at, max(ends), y_max)
    upper = " ".join(f"{frame.x(p.at):.2f},{frame.y(p.p90):.2f}" for p in points)
    lower = " ".join(f"{frame.x(p.at):.2f},{frame.y(p.p10):.2f}" for p in reversed(points))
    median = " ".join(f"{frame.x(p.at):.2f},{frame.y(p.p50):.2f}" for p in points)
    marks = [f'<circle class="cv-point" cx="{frame.x(p.at):.2f}" cy="{frame.y(p.p50):.2f}" '
             f'r="2.5" data-date="{p.at.date().isoformat()}" data-trips="{p.trips}" '
             f'data-p10="{p.p10:g}" data-p50="{p.p50:g}" data-p90="{p.p90:g}"><title>by '
             f'{p.at:%d %b %Y}: {p.trips} trip(s), {p.p10:,.0f}-{p.p90:,.0f} {escape(unit)} '
             f'(P10-P90), median {p.p50:,.0f}</title></circle>' for p in points]
    plot = f"{LEFT:g} {TOP:g} {frame.plot_w:g} {frame.plot_h:g}"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="volume-chart" id="{element_id}" '
            f'role="img" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" data-plot="{plot}" '
            f'data-t0="{frame.t0.isoformat()}" data-t1="{frame.t1.isoformat()}" '
            f'data-y-max="{y_max:g}" aria-label={quoteattr(bounded(title, 200))}>'
            f'<style>{CSS}</style><rect class="cv-bg" width="{WIDTH:.0f}" '
            f'height="{HEIGHT:.0f}"/>' + "".join(_axes(frame, step, unit))
            + f'<text class="cv-title" x="{LEFT + 60:.1f}" y="{TOP + 14:.1f}">'
            f'{escape(bounded(title, 120))}</text>'
            f'<polygon class="cv-band" points="{upper} {lower}"/>'
            f'<polyline class="cv-p50" points="{median}"/>' + "".join(marks)
            + "".join(_claim_mark(frame, n, c, tolerance) for n, c in claims) + "</svg>")
