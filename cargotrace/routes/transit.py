"""Which third countries a route passes through, and at which border crossings.

Why its own concept: two routes between the same places can differ only in the countries they
cross (Dunay → Tikhoretsk by rail within Russia, or through China via Grodekovo–Suifenhe and
Zabaykalsk–Manzhouli), and for a sanctions case that difference is the finding: a shipment
through China involves Chinese railways, customs and two gauge changes. A *third* country is one
the route enters that is neither the origin's nor the destination's country; countries come from
the legs (rail nodes located in Natural Earth polygons, ports, and waterways such as the Suez
Canal that lie in one country: `route_chokepoints.csv`), crossings from the curated border
crossings the rail legs use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cargotrace.routes.crossings import Crossing
from cargotrace.store.place_codes import country_display_name

__all__ = ["Transit", "transit_of"]

TITLE_CROSSINGS = 3  # a title names up to this many crossings, then counts them


def short_crossing_name(crossing: Crossing) -> str:
    """'Khasan–Tumangang (Korea–Russia Friendship Bridge)' -> 'Khasan–Tumangang'."""
    return crossing.name.split(" (", 1)[0]


@dataclass(frozen=True)
class Transit:
    """The countries and border crossings of a route (or of a hypothesis's leg) between two
    end countries. `third_countries` are ISO 3166 alpha-2 codes in the order the route enters
    them; `crossings` every border crossing, in order."""

    ends: tuple[str, str]
    countries: tuple[str, ...]
    crossings: tuple[Crossing, ...]

    @property
    def third_countries(self) -> tuple[str, ...]:
        return tuple(c for c in self.countries if c and c not in self.ends)

    @property
    def third_country_names(self) -> tuple[str, ...]:
        return tuple(country_display_name(c) for c in self.third_countries)

    @property
    def third_country_crossings(self) -> tuple[Crossing, ...]:
        """The crossings into or out of a third country."""
        third = set(self.third_countries)
        return tuple(c for c in self.crossings if {c.country_a, c.country_b} & third)

    @property
    def within(self) -> str | None:
        """The one country the route never leaves (origin and destination in it), else None."""
        a, b = self.ends
        if a and a == b and not self.crossings and set(self.countries) <= {a, ""}:
            return a
        return None

    @property
    def summary(self) -> str:
        """'via China', 'within Russia' or 'no third country'."""
        if self.third_countries:
            return f"via {_and(self.third_country_names)}"
        if self.within:
            return f"within {country_display_name(self.within)}"
        return "no third country"

    def phrase(self, through: str = "via") -> str:
        """Words for a title: 'via China (Grodekovo–Suifenhe, Zabaykalsk–Manzhouli)',
        'via Khasan–Tumangang', 'within Russia', or '' (two countries, no crossing)."""
        if self.third_countries:
            crossings = _names(self.third_country_crossings)
            return (f"{through} {_and(self.third_country_names)}"
                    + (f" ({crossings})" if crossings else ""))
        if self.crossings:
            return f"via {_names(self.crossings)}"
        if self.within:
            return f"within {country_display_name(self.within)}"
        return ""

    def sentence(self) -> str:
        """Words for an explanation, naming every crossing."""
        if self.third_countries:
            text = f"transits {_and(self.third_country_names)}"
            if self.crossings:
                text += " (border crossings: " + ", ".join(c.name for c in self.crossings) + ")"
            return text
        if self.within:
            return f"stays within {country_display_name(self.within)}"
        if self.crossings:
            return "no third country; crosses at " + ", ".join(c.name for c in self.crossings)
        return "no third country"

    def to_dict(self) -> dict[str, Any]:
        return {"third_countries": list(self.third_countries),
                "third_country_names": list(self.third_country_names),
                "border_crossings": [c.name for c in self.crossings],
                "third_country_crossings": [c.name for c in self.third_country_crossings],
                "within": self.within}


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _names(crossings: Sequence[Crossing]) -> str:
    names = list(dict.fromkeys(short_crossing_name(c) for c in crossings))
    if len(names) > TITLE_CROSSINGS:
        return f"{len(names)} border crossings"
    return ", ".join(names)


class _Bordered(Protocol):
    """What a transit is read from: a route leg (`routes.model.Leg`)."""

    @property
    def countries(self) -> tuple[str, ...]: ...

    @property
    def crossings(self) -> tuple[Crossing, ...]: ...


def transit_of(legs: Sequence[_Bordered], origin_country: str = "",
               destination_country: str = "") -> Transit:
    """The transit of legs run end to end from a place in `origin_country` to one in
    `destination_country` (ISO2). An unknown end ('') is taken from the legs: the first country
    of the first leg, the last of the last (legs list their countries in route order)."""
    countries = tuple(dict.fromkeys(c for leg in legs for c in leg.countries if c))
    crossings = tuple(c for leg in legs for c in leg.crossings)
    in_order = [c for leg in legs for c in leg.countries if c]
    origin = origin_country or (in_order[0] if in_order else "")
    destination = destination_country or (in_order[-1] if in_order else "")
    return Transit((origin, destination), countries, crossings)
