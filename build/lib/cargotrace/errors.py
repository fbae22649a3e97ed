"""One root exception so the CLI and web layer can turn any library failure into one clear line.

Bad *records* are never exceptions: they become `quarantine` rows (see `ingest/reasons.py`).
These exceptions are for whole inputs or requests that cannot be used at all.
"""

from __future__ import annotations


class CargotraceError(Exception):
    """Root of every error cargotrace raises on purpose."""


class UnreadableInputError(CargotraceError):
    """A whole file cannot be used: missing, unreadable, or of a format we cannot recognise."""


class ParamsError(ValueError, CargotraceError):
    """A parameter or option value makes no sense (e.g. a negative duration)."""


class StoreError(CargotraceError):
    """The store file cannot be opened or is not a cargotrace store."""


class EngineError(CargotraceError):
    """An engine cannot be used at all (no Java for Spark, no Spark Connect client, ...)."""


class NotFoundError(CargotraceError):
    """A requested vessel, place or event does not exist."""

    status = 404
