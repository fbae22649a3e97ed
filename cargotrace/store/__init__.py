"""store/: the embedded DuckDB file and its core tables.

`Store`, `open_store` and `default_store_path` are loaded on first use (PEP 562): every module
under store/ (the engine names, the place codes) runs this file first, and loading store.py here
would make each of them, and `cargotrace --help`, pay for DuckDB and Arrow
(docs/concepts/architecture.md, "Start-up").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cargotrace.store.store import Store, default_store_path, open_store

__all__ = ["Store", "default_store_path", "open_store"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from cargotrace.store import store

        return getattr(store, name)
    raise AttributeError(f"module 'cargotrace.store' has no attribute {name!r}")
