"""Publish parameters: what a report holds, how the map is drawn, what the exports carry, and
which browser prints the PDF.

Why a report has limits at all: it is read on paper as often as on screen. A map with every
hypothesis or a timeline with every port call of a busy ship stops being readable long before it
stops being complete; the complete record stays in the exports and the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.errors import ParamsError

__all__ = ["BROWSER_ENV", "BROWSER_NAMES", "CampaignReportParams", "CaseExportParams",
           "ExportParams", "PdfParams",
           "ReportParams", "SvgMapParams"]


@dataclass(frozen=True)
class ReportParams:
    """The report's contents and limits (defaults suit an A4 print)."""

    map_hypotheses: int = field(default=3, metadata={
        "help": "Routes of this many best-ranked hypotheses are drawn on the map."})
    table_hypotheses: int = field(default=12, metadata={
        "help": "Hypotheses listed in the ranking table (every one is in the case JSON)."})
    explained_hypotheses: int = field(default=5, metadata={
        "help": "Hypotheses whose full explanation is printed (the best, then the next ones; "
                "named corridors are always explained)."})
    vessel_pad_h: float = field(default=48.0, metadata={
        "help": "AIS tracks and events of the candidate vessels from this many hours before the "
                "first anchor to as long after the last."})
    timeline_pad_d: float = field(default=2.0, metadata={
        "help": "Days of margin either side of the evidence on the timeline."})
    max_vessels: int = field(default=6, metadata={
        "help": "Vessel profiles shown: vessels named in the evidence first, then candidates "
                "from the store by rank."})
    events_per_vessel: int = field(default=12, metadata={
        "help": "Latest events listed in each vessel profile."})

    def __post_init__(self) -> None:
        for name in ("map_hypotheses", "table_hypotheses", "max_vessels", "events_per_vessel"):
            if getattr(self, name) < 1:
                raise ParamsError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.explained_hypotheses < 0:
            raise ParamsError(f"explained_hypotheses must be >= 0, got "
                              f"{self.explained_hypotheses}")
        for name in ("vessel_pad_h", "timeline_pad_d"):
            if getattr(self, name) < 0:
                raise ParamsError(f"{name} must be >= 0, got {getattr(self, name)}")


@dataclass(frozen=True)
class ExportParams:
    """How store rows become features."""

    track_split_h: float = field(default=6.0, metadata={
        "help": "Cut a vessel's track where consecutive positions are further apart than this "
                "many hours (the GFW gap preset): a straight line across a gap is not a track."})
    track_max_speed_kn: float = field(default=60.0, metadata={
        "help": "Cut the track where consecutive positions imply more than this speed (knots): "
                "no merchant ship sails that fast, so the jump is two ships sharing an MMSI or "
                "a spoofed position, and drawing it would invent a voyage."})
    track_min_points: int = field(default=2, metadata={
        "help": "Track pieces with fewer positions are left out (a line needs two)."})

    def __post_init__(self) -> None:
        if not self.track_max_speed_kn > 0:
            raise ParamsError(f"track_max_speed_kn must be > 0, got {self.track_max_speed_kn}")
        if not self.track_split_h > 0:
            raise ParamsError(f"track_split_h must be > 0 hours, got {self.track_split_h}")
        if self.track_min_points < 2:
            raise ParamsError(f"track_min_points must be >= 2, got {self.track_min_points}")



@dataclass(frozen=True)
class CaseExportParams:
    """What of a built case goes on the map."""

    max_hypotheses: int = field(default=3, metadata={
        "help": "Routes of this many best-ranked hypotheses (the rest only clutter a map)."})
    vessel_pad_h: float = field(default=48.0, metadata={
        "help": "AIS of the legs' vessels from this many hours before the first anchor to as "
                "long after the last (the approach and the departure)."})

    def __post_init__(self) -> None:
        if self.max_hypotheses < 1:
            raise ParamsError(f"max_hypotheses must be >= 1, got {self.max_hypotheses}")
        if self.vessel_pad_h < 0:
            raise ParamsError(f"vessel_pad_h must be >= 0 hours, got {self.vessel_pad_h}")



@dataclass(frozen=True)
class SvgMapParams:
    """The map's frame and level of detail."""

    width_px: int = field(default=1000, metadata={"help": "viewBox width (SVG user units)."})
    height_px: int = field(default=700, metadata={"help": "viewBox height (SVG user units)."})
    legend_outside: bool = field(default=False, metadata={
        "help": "Draw the legend in a strip right of the map (LEGEND_STRIP_PX wide) so it never "
                "hides a feature; otherwise inside, in the corner hiding the least."})
    min_height_px: int = field(default=0, metadata={
        "help": "When set, a wide map is cut down to the height its features need (but not "
                "below this), instead of filling `height_px` with empty land and sea."})
    margin_frac: float = field(default=0.08, metadata={
        "help": "Empty margin around the features, as a fraction of the frame."})
    min_span_km: float = field(default=60.0, metadata={
        "help": "Smallest extent shown (one port or one point still gets some context)."})
    simplify_px: float = field(default=0.5, metadata={
        "help": "Land and tracks are simplified to this many units (invisible at print size)."})
    title: str = field(default="", metadata={"help": "Title drawn top left (none if empty)."})
    id_prefix: str = field(default="", metadata={
        "help": "Prefix of the layer groups' ids (`<g id=\"{prefix}land\">`...), so a page "
                "embedding the map keeps its ids unique."})

    def __post_init__(self) -> None:
        if self.min_height_px and not 100 <= self.min_height_px <= self.height_px:
            raise ParamsError(f"min_height_px must be 0 or 100..height_px, got "
                              f"{self.min_height_px}")
        if self.width_px < 100 or self.height_px < 100:
            raise ParamsError(f"map must be at least 100 x 100, got {self.width_px} x "
                              f"{self.height_px}")
        if not 0 <= self.margin_frac < 0.45:
            raise ParamsError(f"margin_frac must be in [0, 0.45), got {self.margin_frac}")
        if self.min_span_km <= 0 or self.simplify_px < 0:
            raise ParamsError("min_span_km must be > 0 and simplify_px >= 0")



BROWSER_ENV = "CARGOTRACE_CHROMIUM"
"""Environment variable naming the browser to use (a path or a command on PATH)."""

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")
"""Commands looked up on PATH, in order, when neither PdfParams.browser nor $CARGOTRACE_CHROMIUM
is set (Debian's package installs `chromium`, Ubuntu's older one `chromium-browser`)."""


@dataclass(frozen=True)
class PdfParams:
    """Which browser prints the PDF, and how long it may take."""

    browser: str | None = field(default=None, metadata={
        "help": f"Chromium-family executable (a path or a command on PATH). Default: "
                f"${BROWSER_ENV}, else the first of {', '.join(BROWSER_NAMES)} on PATH."})
    timeout_s: float = field(default=120.0, metadata={
        "help": "Longest the browser may run before it is stopped (a report prints in ~2 s)."})

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ParamsError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.browser is not None and not self.browser.strip():
            raise ParamsError("browser must be a path or a command name, got an empty string")



@dataclass(frozen=True)
class CampaignReportParams:
    """The campaign report's limits (docs/concepts/campaigns.md, "The campaign report")."""

    max_corridor_charts: int = field(default=6, metadata={
        "help": "Cumulative-volume charts drawn per corridor (after the total's), when trips "
                "use several corridors."})
    max_text_chars: int = field(default=1200, metadata={
        "help": "Untrusted text (statements, evidence, source titles, notes) is cut to this "
                "many characters in the report (the campaign file keeps it whole)."})

    def __post_init__(self) -> None:
        for name in ("max_corridor_charts", "max_text_chars"):
            if getattr(self, name) < 1:
                raise ParamsError(f"{name} must be >= 1, got {getattr(self, name)}")
