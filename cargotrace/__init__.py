"""cargotrace: detect and reconstruct covert cargo shipments by sea and rail from open data.

`Store` and `open_store` are loaded on first use (PEP 562): importing any cargotrace module runs
this file first, and loading the store here would make every import pay for DuckDB, Arrow and
Ibis — `cargotrace --help` included (docs/concepts/architecture.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargotrace.version import __version__

if TYPE_CHECKING:
    from cargotrace.store import Store, open_store

__all__ = ["Store", "__version__", "open_store"]

_FROM_STORE = frozenset({"Store", "open_store"})


def __getattr__(name: str) -> object:
    if name in _FROM_STORE:
        from cargotrace import store

        return getattr(store, name)
    raise AttributeError(f"module 'cargotrace' has no attribute {name!r}")
