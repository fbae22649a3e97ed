"""Screening parameters: how close a vessel's identifiers must be to a listed entity's to match."""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.errors import ParamsError

EVENTS_PER_KIND = 20
"""Latest events a vessel profile lists per kind (`cargotrace vessel --events-per-kind`): here,
not in profile.py, so the CLI's option default does not load the profile's matcher and store."""


@dataclass(frozen=True)
class ScreenParams:
    """Sanctions screening: how names are compared and which hits are kept."""

    min_name_similarity: float = field(default=0.88, metadata={
        "help": "Names match from this Levenshtein similarity (1 - edits / longer length) of "
                "their normalised, space-free forms: about one edit in 8 letters."})
    typo_min_length: int = field(default=5, metadata={
        "help": "Names of at least this many letters also match with one edit (a typo)."})
    min_score: float = field(default=0.45, metadata={
        "help": "Hits scoring below this are not reported (confirmed hits always are)."})
    mmsi_window_d: float = field(default=730.0, metadata={
        "help": "An MMSI match weighs half when the vessel was seen more than this many days "
                "from the list's date (MMSIs are reassigned)."})

    def __post_init__(self) -> None:
        if not 0.5 <= self.min_name_similarity <= 1.0:
            raise ParamsError(
                f"min_name_similarity {self.min_name_similarity}: use a value in [0.5, 1]")
        if self.typo_min_length < 2:
            raise ParamsError(f"typo_min_length {self.typo_min_length}: use 2 or more")
        if not 0.0 <= self.min_score <= 1.0:
            raise ParamsError(f"min_score {self.min_score}: use a value in [0, 1]")
        if self.mmsi_window_d <= 0:
            raise ParamsError(f"mmsi_window_d {self.mmsi_window_d}: must be positive")

    def max_edits(self, a: int, b: int) -> int:
        """Edits allowed between names of `a` and `b` letters (space-free)."""
        by_ratio = int(max(a, b) * (1.0 - self.min_name_similarity) + 1e-9)
        return max(by_ratio, 1 if min(a, b) >= self.typo_min_length else 0)

