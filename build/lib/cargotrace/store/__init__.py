"""store/: the embedded DuckDB file and its core tables."""

from cargotrace.store.store import Store, default_store_path, open_store

__all__ = ["Store", "default_store_path", "open_store"]
