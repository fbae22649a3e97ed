"""Route end points by name: a place book from the store's `places`, or the curated gazetteer.

Why a small book in memory: route planning looks places up a few times and needs the curated
transfer ports and crossings anyway. Names fold case, accents and punctuation like
`store.places.list_places`, so "Rajin", "Najin" and "Rason" are one place. An unknown or
ambiguous name is a `NotFoundError` / `ParamsError` naming the candidates: never a guess.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cargotrace.errors import NotFoundError, ParamsError
from cargotrace.store.place_codes import fold
from cargotrace.store.places import PLACE_COLUMNS, Place, row_to_place
from cargotrace.store.store import Store, open_store

__all__ = ["PlaceBook", "curated_places", "did_you_mean"]

SEA_KINDS = frozenset({"seaport", "naval_base", "anchorage", "chokepoint"})
# How alike (0-100, rapidfuzz ratio on folded names) a place name must be to be suggested for
# an unknown one: "Najn" -> "najin" scores 89, "Vladivostock" -> "vladivostok" 96, while
# "Atlantis" is at most 57 from any curated place.
SUGGEST_MIN_SIMILARITY = 75.0


@dataclass(frozen=True)
class PlaceBook:
    """Places by id, with a folded name/alias index."""

    places: tuple[Place, ...]

    @classmethod
    def from_store(cls, store: Store) -> PlaceBook:
        """The store's places plus the curated gazetteer (store rows win on the same id)."""
        rows = store.con.execute(f"SELECT {', '.join(PLACE_COLUMNS)} FROM places").fetchall()
        stored = [row_to_place(row) for row in rows]
        ids = {p.place_id for p in stored}
        return cls(tuple(stored) + tuple(p for p in curated_places() if p.place_id not in ids))

    @classmethod
    def curated(cls) -> PlaceBook:
        return cls(curated_places())

    @functools.cached_property
    def by_id(self) -> dict[str, Place]:
        return {p.place_id: p for p in self.places}

    @functools.cached_property
    def _names(self) -> dict[str, list[Place]]:
        index: dict[str, list[Place]] = {}
        for place in self.places:
            for name in {fold(place.name), *(fold(a) for a in place.aliases), place.place_id}:
                index.setdefault(name, []).append(place)
        return index

    def resolve(self, text: str) -> Place:
        """The one place named `text` (id, name or alias); substring matches if none exact."""
        key = fold(text) if text not in self.by_id else text
        exact = _unique(self._names.get(key, []))
        if not exact and key:
            exact = _unique(p for name, ps in self._names.items() if key in name for p in ps)
        if len(exact) == 1:
            return exact[0]
        if not exact:
            raise NotFoundError(
                f"no place named {text!r}{did_you_mean(self.closest(text))}; list places with "
                f"`cargotrace places list --name {text}` or load a gazetteer with "
                "`cargotrace places load`")
        listed = ", ".join(f"{p.name} ({p.place_id}, {p.country or '?'})" for p in exact[:8])
        raise ParamsError(f"{text!r} is ambiguous: {listed}; give a place_id")


    def closest(self, text: str, limit: int = 3) -> list[str]:
        """The names, aliases or ids spelled most like `text`, best first, one per place: the
        suggestions for a name that matches nothing (a typo: "Najn" -> "Najin"). An alias is
        shown with its place's name: "Tikhoretsk (Tikhoretsk ammunition depot)".

        rapidfuzz's normalised Indel similarity on folded names, from SUGGEST_MIN_SIMILARITY
        (0-100): high enough that an unrelated name ("Atlantis") suggests nothing.
        """
        from rapidfuzz import fuzz, process

        key = fold(text)
        if not key:
            return []
        names = [name for name in self._names if name]
        found = process.extract(key, names, scorer=fuzz.ratio,
                                score_cutoff=SUGGEST_MIN_SIMILARITY, limit=limit * 4)
        shown: dict[str, str] = {}  # place_id -> how it is suggested
        for name, _, _ in found:
            for place in self._names[name]:
                if place.place_id not in shown:
                    shown[place.place_id] = _spelled(place, name)
        return list(shown.values())[:limit]


def _spelled(place: Place, key: str) -> str:
    """How the place is written where its folded name, alias or id is `key`."""
    if key == fold(place.name) or key == place.place_id:
        return place.name
    alias = next((a for a in place.aliases if fold(a) == key), key)
    return f"{alias} ({place.name})"


def did_you_mean(names: Sequence[str]) -> str:
    """' (did you mean Najin?)', ' (did you mean A, B or C?)', or '' when there is none."""
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f" (did you mean {listed}?)"


def _unique(places: Iterable[Place]) -> list[Place]:
    seen: dict[str, Place] = {}
    for place in places:
        seen.setdefault(place.place_id, place)
    return list(seen.values())


@functools.cache
def curated_places() -> tuple[Place, ...]:
    """The gazetteer shipped in the package, read through the same loader as `places load`."""
    from cargotrace.ingest.gazetteers import load_curated_gazetteer

    with open_store(Path(":memory:")) as store:
        load_curated_gazetteer(store)
        rows = store.con.execute(
            f"SELECT {', '.join(PLACE_COLUMNS)} FROM places ORDER BY place_id").fetchall()
    return tuple(row_to_place(row) for row in rows)


def is_sea_place(place: Place) -> bool:
    return place.kind in SEA_KINDS


def places_of(book: PlaceBook | Sequence[Place] | Store | None) -> PlaceBook:
    """Accept what callers have: a PlaceBook, a list of places, an open store, or nothing."""
    if book is None:
        return PlaceBook.curated()
    if isinstance(book, PlaceBook):
        return book
    if isinstance(book, Store):
        return PlaceBook.from_store(book)
    return PlaceBook(tuple(book))
