"""One route network per test session, built cold into a temporary cache folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cargotrace.routes import rail
from cargotrace.routes.network import RouteNetwork
from cargotrace.routes.params import RouteParams
from cargotrace.routes.place_book import PlaceBook


@pytest.fixture(scope="session")
def rail_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("cargotrace-cache")
    rail._load_cached.cache_clear()
    yield folder
    rail._load_cached.cache_clear()


@pytest.fixture(scope="session")
def network(rail_cache: Path) -> RouteNetwork:
    return RouteNetwork.load(RouteParams(), str(rail_cache))


@pytest.fixture(scope="session")
def book() -> PlaceBook:
    return PlaceBook.curated()
