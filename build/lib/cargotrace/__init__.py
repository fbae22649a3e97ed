"""cargotrace: detect and reconstruct covert cargo shipments by sea and rail from open data."""

from __future__ import annotations

from cargotrace.store import Store, open_store
from cargotrace.version import __version__

__all__ = ["Store", "__version__", "open_store"]
