"""Sea routes cached on disk are bit-identical to computed ones, and a bad file is recomputed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cargotrace.cache import CACHE_ENV
from cargotrace.geo import landmask
from cargotrace.sim import route_cache, sea_paths

VLADIVOSTOK = (43.11, 131.89)
NAKHODKA = (42.80, 132.88)


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    landmask.is_land(0.0, 0.0)  # open the mask from the real cache first (not rebuilt in tmp)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    sea_paths._sea_route_cached.cache_clear()
    yield tmp_path
    sea_paths._sea_route_cached.cache_clear()


def test_a_route_from_disk_is_the_route_computed(fresh_cache: Path) -> None:
    computed = sea_paths.sea_route(VLADIVOSTOK, NAKHODKA)
    files = list(fresh_cache.glob(f"sea-routes-{route_cache.fingerprint()}/*.npz"))
    assert len(files) == 1
    sea_paths._sea_route_cached.cache_clear()
    loaded = sea_paths.sea_route(VLADIVOSTOK, NAKHODKA)
    assert loaded is not computed
    for name in ("lats", "lons", "cum_km"):
        a, b = getattr(computed, name), getattr(loaded, name)
        assert a.tobytes() == b.tobytes() and not b.flags.writeable
    assert (loaded.length_km, loaded.via, loaded.land_crossings_repaired) == (
        computed.length_km, computed.via, computed.land_crossings_repaired)


def test_an_unreadable_cache_file_is_recomputed(fresh_cache: Path) -> None:
    calls: list[int] = []

    def compute() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"x": np.arange(3.0)}

    key = ("unit-test", 1.5, ("a",))
    assert route_cache.cached(key, compute)["x"].tolist() == [0.0, 1.0, 2.0]
    assert route_cache.cached(key, compute)["x"].tolist() == [0.0, 1.0, 2.0]
    assert len(calls) == 1
    (path,) = fresh_cache.glob("sea-routes-*/*.npz")
    path.write_bytes(b"not a zip file")
    assert route_cache.cached(key, compute)["x"].tolist() == [0.0, 1.0, 2.0]
    assert len(calls) == 2
