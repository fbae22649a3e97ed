"""What identifies an input file in the provenance we record: its SHA-256.

Why a module of its own at the bottom of the layers: ingest records the hash of every AIS file
it reads and the report the hash of its case file, so both can be checked later against the very
bytes used; the report must not load the ingest pipeline for one hash function.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["file_sha256"]


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of the file's bytes, read in 1 MiB blocks (files may be gigabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
