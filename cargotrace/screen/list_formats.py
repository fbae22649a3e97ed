"""The sanctions list formats `cargotrace sanctions load --format` reads, apart from the readers.

Why a module of its own: the CLI needs the names for its option type at start-up; the readers
and the store they load into import Arrow and DuckDB (docs/concepts/architecture.md, "Start-up").
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ListFormat"]


class ListFormat(StrEnum):
    OFAC = "ofac"  # OFAC SDN legacy CSV
    UN = "un"  # UN Security Council consolidated list XML
    FTM = "ftm"  # FollowTheMoney entity JSON lines (OpenSanctions)
