"""Campaign parameters: Monte Carlo size and seed, default load factor, the capacity rule,
claim verdict thresholds. Every figure is a documented default (docs/concepts/campaigns.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.errors import ParamsError

__all__ = ["CampaignParams"]


@dataclass(frozen=True)
class CampaignParams:
    """How volumes are estimated and claims judged."""

    samples: int = field(
        default=20_000,
        metadata={"help": "Monte Carlo draws for every volume distribution (P10/P50/P90)."},
    )
    seed: int = field(
        default=20231013,
        metadata={"help": "Random seed: the same file gives the same bands on every run."},
    )
    load_low_fraction: float = field(
        default=0.6,
        metadata={"help": "Default load factor (share of capacity carried per trip), lowest "
                          "plausible, when the file states none."},
    )
    load_mode_fraction: float = field(
        default=0.85, metadata={"help": "Default load factor, most likely."},
    )
    load_high_fraction: float = field(
        default=1.0, metadata={"help": "Default load factor, highest plausible."},
    )
    cargo_length_fraction: float = field(
        default=0.6,
        metadata={"help": "Capacity rule: share of a ship's length given to container bays "
                          "(the rest is bow, engine room, superstructure)."},
    )
    row_width_m: float = field(
        default=2.8,
        metadata={"help": "Capacity rule: ship breadth per container row abreast (a 2.44 m "
                          "box plus guides and structure; MAN, Propulsion Trends in "
                          "Container Vessels, 'Size of a container ship', p. 6: about 2.8 m)."},
    )
    bay_length_m: float = field(
        default=6.5,
        metadata={"help": "Capacity rule: ship length per 20-foot bay (a 6.06 m box plus "
                          "lashing space)."},
    )
    tiers_low: int = field(
        default=3,
        metadata={"help": "Capacity rule: fewest tiers (hold plus deck) of a small cargo ship "
                          "carrying containers."},
    )
    tiers_high: int = field(
        default=6,
        metadata={"help": "Capacity rule: most tiers of a small purpose-built feeder."},
    )
    teu_per_unit_low_factor: float = field(
        default=1.0,
        metadata={"help": "TEU per container, lowest (every box a 20-footer)."},
    )
    teu_per_unit_high_factor: float = field(
        default=2.0,
        metadata={"help": "TEU per container, highest (every box a 40-footer)."},
    )
    about_tolerance_fraction: float = field(
        default=0.2,
        metadata={"help": "An 'about N' claim agrees with an estimate within N x (1 +/- this)."},
    )

    def __post_init__(self) -> None:
        if self.samples < 100:
            raise ParamsError(f"samples must be >= 100, got {self.samples}")
        if not 0 < self.load_low_fraction <= self.load_mode_fraction <= self.load_high_fraction:
            raise ParamsError("need 0 < load_low_fraction <= load_mode_fraction <= "
                              "load_high_fraction")
        if not 0 < self.cargo_length_fraction <= 1:
            raise ParamsError("cargo_length_fraction must be in (0, 1]")
        for name in ("row_width_m", "bay_length_m", "about_tolerance_fraction"):
            if not getattr(self, name) > 0:
                raise ParamsError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 1 <= self.tiers_low <= self.tiers_high:
            raise ParamsError("need 1 <= tiers_low <= tiers_high")
        if not 1 <= self.teu_per_unit_low_factor <= self.teu_per_unit_high_factor:
            raise ParamsError("need 1 <= teu_per_unit_low_factor <= teu_per_unit_high_factor")
