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


class StoreNotFoundError(StoreError):
    """A store was asked for to read from, and there is no file at its path.

    Why an error and not an empty store: a read on a path with a typo, or in the wrong working
    directory, used to create an empty store and answer "0 vessels", which looks like a finding.
    """

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: no store at this path")
        self.path = path


class EngineError(CargotraceError):
    """An engine cannot be used at all (no Java for Spark, no Spark Connect client, ...)."""


class NotFoundError(CargotraceError):
    """A requested vessel, place or event does not exist."""

    status = 404
