"""Run an ingest with pyarrow, but without pandas, which an ingest never uses.

Why: pyarrow imports pandas the first time it builds an array (its Python shim, to ask whether
the input is a pandas object, and its C++ converter, for pandas' missing-value markers), and
that import was the largest part of an NMEA ingest's start-up (~0.3 s of CPU on a quiet
machine, ~40% of it; issue 16). Inside `pandas_unused()` the import fails at once, which
pyarrow takes as "no pandas here".

Why only for a whole command (cli/commands/ingest.py), not inside the library: while the block
runs, no thread of the process can import pandas. Afterwards pyarrow would still believe there
is none, so `_Resync` waits for anyone to import pandas and then tells pyarrow (`pa.table(df)`,
`pa.array(series)` and `to_pandas()` then behave as usual; tests/ingest/test_arrow_start.py).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any


@contextmanager
def pandas_unused() -> Iterator[None]:
    """Run the block with `import pandas` failing, when pandas is not imported yet (else
    nothing changes)."""
    if "pandas" in sys.modules:
        yield
        return
    blocker = _Blocker()
    sys.meta_path.insert(0, blocker)
    try:
        yield
    finally:
        sys.meta_path.remove(blocker)
        if "pandas" not in sys.modules and not any(
                isinstance(finder, _Resync) for finder in sys.meta_path):
            sys.meta_path.insert(0, _Resync())


class _Blocker(importlib.abc.MetaPathFinder):
    """`import pandas` fails while this finder is in `sys.meta_path`."""

    def find_spec(self, name: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if name == "pandas":
            raise ImportError("an ingest does not import pandas (ingest/arrow_start.py)")
        return None


class _Resync(importlib.abc.MetaPathFinder):
    """Once pandas is imported by anyone, tell pyarrow (then step aside)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if name != "pandas":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenTellPyarrow(spec.loader)
        return spec


class _ThenTellPyarrow(importlib.abc.Loader):
    """pandas' own loader, followed by pyarrow's pandas check."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def __getattr__(self, name: str) -> Any:  # e.g. resource readers: pandas' own loader's
        return getattr(self.loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        created: ModuleType | None = self.loader.create_module(spec)
        return created

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        pyarrow = sys.modules.get("pyarrow")
        if pyarrow is not None:  # pyarrow looks for pandas again when asked for it: found now
            pyarrow.lib._pandas_api.compat  # noqa: B018
