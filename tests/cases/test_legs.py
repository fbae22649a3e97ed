"""The build's route planner caches failures without changing what they are.

Issue 22: a cached `ParamsError` used to come back as `NotFoundError` (through a private
exception outside the error hierarchy), so a bad request read as "no route".
"""

from __future__ import annotations

import pytest

from cargotrace.cases.legs import Planner
from cargotrace.errors import NotFoundError, ParamsError
from cargotrace.routes.place_book import PlaceBook


def test_a_cached_failure_is_raised_again_as_what_it_was() -> None:
    book = PlaceBook.curated()
    planner = Planner(book)
    najin, dunay = book.resolve("Najin"), book.resolve("Dunay")
    for _ in range(2):  # the second call is answered from the cache
        with pytest.raises(ParamsError, match="--modes: teleport is not a mode"):
            planner.plan(najin, dunay, "teleport")
    assert planner.calls == 1
    with pytest.raises(ParamsError, match="must be different places"):
        planner.plan(najin, najin, "sea")
    # a leg with no possible route is reported as such, not raised
    options, why = planner.leg_options(najin, najin, k=1)
    assert options == [] and why is not None and "different places" in why
    assert not issubclass(NotFoundError, ParamsError)  # the two stay apart
