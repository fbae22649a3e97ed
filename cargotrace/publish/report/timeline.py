"""A static SVG timeline: evidence windows, AIS events of the candidate vessels and the legs of
the best hypothesis, one row each, on one time axis.

Why static SVG (not a JavaScript widget): the report opens offline, prints as it looks on
screen, and a reader can check any bar against the tables by its id (each bar's `<title>` and
`data-id`). Bars shorter than a few pixels are widened to stay visible (an imagery sighting of
minutes is a moment on a month's axis); the row label says what the bar is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

from cargotrace.publish.report.times import as_utc, day, last_covered

__all__ = ["TimelineItem", "render_timeline"]

WIDTH = 1000.0
LABEL_W = 250.0
ROW_H = 18.0
GROUP_H = 22.0
AXIS_H = 34.0
MIN_BAR_PX = 4.0
CHAR_PX = 6.2  # a generous width of one character of the 10 px axis font (no font metrics here)
EDGE_PX = 3.0  # text keeps this far from the SVG's right edge
TICK_STEPS_D = (1, 2, 7, 14, 30, 61, 91, 182, 365)
CSS = """
.tl-bg{fill:#ffffff}.tl-grid{stroke:#e3e3e3;stroke-width:1}
.tl-axis{font:10px sans-serif;fill:#333333}.tl-group{font:700 11px sans-serif;fill:#111111}
.tl-label{font:10.5px sans-serif;fill:#222222}.tl-bar{stroke:#333333;stroke-width:0.4}
.tl-evidence{fill:#3a6ea5}.tl-leg{fill:#6a994e}.tl-leg-window{fill:#6a994e;fill-opacity:0.25}
.tl-event{fill:#999999}.tl-gap,.tl-dark_voyage{fill:#d62828}
.tl-possible_dark_port_call{fill:#e76f93}.tl-port_visit{fill:#2a9d8f}
.tl-encounter{fill:#f77f00}.tl-loitering{fill:#e9b200}.tl-identity{fill:#7b2cbf}
.tl-draught_change{fill:#8d5524}.tl-sanction_match{fill:#000000}.tl-shuttle{fill:#264653}
.tl-clipped{stroke-dasharray:3 2;stroke-width:1;fill-opacity:0.45}
"""


@dataclass(frozen=True)
class TimelineItem:
    """One bar. `group` is the heading it is listed under; `row` the row label (items with the
    same group and row share a row); `css` picks its colour (`tl-<css>`)."""

    item_id: str
    group: str
    row: str
    start: datetime
    end: datetime
    css: str
    title: str


def _ticks(t0: datetime, t1: datetime, px_per_day: float) -> list[datetime]:
    """Midnights every `step` days, the smallest step leaving >= 60 px between labels."""
    step = next((s for s in TICK_STEPS_D if s * px_per_day >= 60.0), TICK_STEPS_D[-1])
    day = datetime(t0.year, t0.month, t0.day, tzinfo=UTC) + timedelta(days=1)
    out = []
    every = max(1, round(step / 30.4))  # month steps: every first of the month, or of every n-th
    while day < t1:
        if step < 30 or (day.day == 1 and (day.year * 12 + day.month - 1) % every == 0):
            out.append(day)
        day += timedelta(days=step if step < 30 else 1)
    return out


def _fit_text(x: float, anchor: str, text: str, lo: float, hi: float) -> tuple[float, str]:
    """Move or re-anchor a text so that its estimated box stays within [lo, hi]: a date next to
    a bar at the right edge is anchored at its end instead of running out of the picture."""
    width = CHAR_PX * len(text)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    if left + width > hi:
        return hi, "end"
    if left < lo:
        return lo, "start"
    return x, anchor


@dataclass(frozen=True)
class _Axis:
    """The time axis: `t0`..`t1` drawn over `plot_w` pixels right of the labels."""

    t0: datetime
    t1: datetime
    plot_w: float

    @property
    def span_s(self) -> float:
        return max((self.t1 - self.t0).total_seconds(), 3600.0)

    def x(self, t: datetime) -> float:
        return LABEL_W + self.plot_w * (as_utc(t) - self.t0).total_seconds() / self.span_s


def render_timeline(items: list[TimelineItem], pad_d: float = 2.0,
                    focus: tuple[datetime, datetime] | None = None) -> str:
    """The SVG text (empty string when there is nothing to draw).

    `focus` (the case's anchors) sets the axis; a bar reaching beyond it is cut at the edge and
    drawn dashed (a list entry dated months later would otherwise squash the case into a few
    pixels); its tooltip keeps the full window.
    """
    if not items:
        return ""
    pad = timedelta(days=pad_d)
    lo, hi = focus or (min(as_utc(i.start) for i in items), max(as_utc(i.end) for i in items))
    axis = _Axis(as_utc(lo) - pad, as_utc(hi) + pad, WIDTH - LABEL_W - 10.0)
    body, y_of, height = _rows(items)
    grid = _grid(axis, height)
    bars = [_bar(i, axis, y_of[(i.group, i.row)] + 3.0) for i in items]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" '
            f'viewBox="0 0 {WIDTH:.0f} {height:.0f}" aria-label="Timeline of evidence, AIS '
            f'events and hypothesised legs"><style>{CSS}</style>'
            f'<rect class="tl-bg" width="{WIDTH:.0f}" height="{height:.0f}"/>'
            + "".join(grid) + "".join(body) + "".join(bars) + "</svg>")


def _rows(items: list[TimelineItem]) -> tuple[list[str], dict[tuple[str, str], float], float]:
    """Group headings and row labels in order of first appearance, each row's top y, and the
    picture's height."""
    rows: dict[str, list[str]] = {}
    for i in items:
        rows.setdefault(i.group, [])
        if i.row not in rows[i.group]:
            rows[i.group].append(i.row)
    y_of: dict[tuple[str, str], float] = {}
    y = AXIS_H
    body: list[str] = []
    for group, names in rows.items():
        body.append(f'<text class="tl-group" x="4" y="{y + 15:.1f}">{escape(group)}</text>')
        y += GROUP_H
        for name in names:
            y_of[(group, name)] = y
            label = name if len(name) <= 42 else name[:41] + "…"
            body.append(f'<text class="tl-label" x="12" y="{y + 12.5:.1f}">'
                        f'<title>{escape(name)}</title>{escape(label)}</text>')
            y += ROW_H
    return body, y_of, y + 6.0


def _grid(axis: _Axis, height: float) -> list[str]:
    """Day lines and their dates across the plot."""
    grid = []
    for tick in _ticks(axis.t0, axis.t1, axis.plot_w / (axis.span_s / 86400.0)):
        tx = axis.x(tick)
        grid.append(f'<line class="tl-grid" x1="{tx:.1f}" y1="{AXIS_H - 4:.1f}" x2="{tx:.1f}" '
                    f'y2="{height:.1f}"/>')
        label = tick.strftime("%d %b %Y" if tick.day == 1 else "%d %b")
        lx, anchor = _fit_text(tx, "middle", label, LABEL_W, WIDTH - EDGE_PX)
        grid.append(f'<text class="tl-axis" x="{lx:.1f}" y="{AXIS_H - 8:.1f}" '
                    f'text-anchor="{anchor}">{label}</text>')
    return grid


def _bar(i: TimelineItem, axis: _Axis, by: float) -> str:
    """One item's bar at height `by`: cut (and dashed) at the axis ends, at least
    `MIN_BAR_PX` wide, with its id and full window in the tooltip."""
    t0, t1 = axis.t0, axis.t1
    start, end = max(as_utc(i.start), t0), min(as_utc(i.end), t1)
    clipped = start != as_utc(i.start) or end != as_utc(i.end)
    if end < start:  # wholly outside: a stub at the nearer edge
        start = end = t0 if as_utc(i.end) < t0 else t1
    left, right = axis.x(start), axis.x(end)
    if right - left < MIN_BAR_PX:
        mid = (left + right) / 2
        left, right = mid - MIN_BAR_PX / 2, mid + MIN_BAR_PX / 2
    note = _cut_dates(i, axis, left, right, by) if clipped else ""
    return (
        f'<g class="tl-item" data-id={quoteattr(i.item_id)}><title>{escape(i.title)}</title>'
        f'<rect class="tl-bar tl-{escape(i.css)}{" tl-clipped" if clipped else ""}" '
        f'x="{left:.1f}" y="{by:.1f}" '
        f'width="{right - left:.1f}" height="{ROW_H - 6:.1f}" rx="2"/>{note}</g>')


def _cut_dates(i: TimelineItem, axis: _Axis, left: float, right: float, by: float) -> str:
    """The true dates beside a cut bar's ends, so the reader need not hover."""
    notes = []
    if as_utc(i.start) < axis.t0:
        notes.append((left + 3, "start", f"{day(as_utc(i.start))} ←"))
    if as_utc(i.end) > axis.t1:
        notes.append((right - 3, "end", f"→ {day(last_covered(i.start, i.end))}"))
    fitted = [(*_fit_text(nx, anchor, text, LABEL_W, WIDTH - EDGE_PX), text)
              for nx, anchor, text in notes]
    return "".join(f'<text class="tl-axis" x="{nx:.1f}" y="{by + 9:.1f}" '
                   f'text-anchor="{anchor}">{escape(text)}</text>'
                   for nx, anchor, text in fitted)
