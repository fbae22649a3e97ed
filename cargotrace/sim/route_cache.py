"""Sea routes kept on disk between processes, so a scenario's voyages are planned once a machine.

Why: finding a route means A* over the land mask around every crossing of the sea lanes, about
0.1 s a port pair and ~20 s for the Sea of Japan scenario: most of a simulation's run time, paid
again by every `cargotrace simulate` and `cargotrace demo` for identical results. A route is a
pure function of its inputs and of the code and data behind it, so it is cached in
`cache_dir()` (see `cargotrace/cache.py`) under a key that covers all of them: the route's
arguments, the source of `sim/sea_paths.py`, `geo/landmask.py` and `geo/sphere.py`, and the
versions of searoute (the sea lanes) and global-land-mask. Editing any of them or upgrading a
package starts a new cache; deleting the folder is always safe. Arrays are stored as `.npz`
(no pickle), so a cached route is bit-identical to a computed one.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cargotrace.cache import cache_dir, write_atomic
from cargotrace.provenance import file_sha256

logger = logging.getLogger(__name__)

Arrays = dict[str, np.ndarray]
_PACKAGE = Path(__file__).resolve().parent.parent
_SOURCES = ("sim/sea_paths.py", "geo/landmask.py", "geo/sphere.py")
_PACKAGES = ("searoute", "global-land-mask")


@functools.cache
def fingerprint() -> str:
    """Hash of the code and data versions a route depends on."""
    h = hashlib.sha256()
    for name in _SOURCES:
        h.update(f"{name}\0{file_sha256(_PACKAGE / name)}\0".encode())
    for package in _PACKAGES:
        h.update(f"{package}=={importlib.metadata.version(package)}\0".encode())
    return h.hexdigest()[:16]


def _path(key: tuple[object, ...]) -> Path:
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
    return cache_dir() / f"sea-routes-{fingerprint()}" / f"{digest}.npz"


def _save(path: str, arrays: Arrays) -> None:
    with open(path, "wb") as f:  # a file object: np.savez would append ".npz" to a name
        np.savez(f, **arrays)  # type: ignore[arg-type]  # numpy's stub: names vs allow_pickle


def cached(key: tuple[object, ...], compute: Callable[[], Arrays]) -> Arrays:
    """The arrays stored under `key`, else `compute()`'s, stored for the next process.

    `key` must be a tuple of plain values whose `repr` is stable (floats, strings, tuples).
    An unreadable cache file is recomputed and replaced, never trusted.
    """
    try:
        path = _path(key)
    except OSError as err:  # no cache folder (read-only home): still simulates, only slower
        logger.warning("sea route cache unavailable (%s)", err)
        return compute()
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        except (OSError, ValueError, KeyError) as err:
            logger.warning("sea route cache %s unreadable (%s): recomputing", path, err)
    arrays = compute()
    try:
        write_atomic(path, lambda tmp: _save(tmp, arrays))
    except OSError as err:
        logger.warning("sea route cache %s not written: %s", path, err)
    return arrays
