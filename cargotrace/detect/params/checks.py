"""The one validation every detector's parameters share.

Its own module so each params module can import it without importing the others.
"""

from __future__ import annotations

from cargotrace.errors import ParamsError


def check_positive(**values: float) -> None:
    """ParamsError naming the first value that is not > 0 (shared by every params class)."""
    for name, value in values.items():
        if not value > 0:
            raise ParamsError(f"{name} must be > 0, got {value}")
