"""What identifies an input file in the provenance we record: its SHA-256.

Why a module of its own at the bottom of the layers: ingest records the hash of every AIS file
it reads, screen of every sanctions list it loads, and the report the hash of its case file, so
each can be checked later against the very bytes used (and the simulator keys its sea-route
cache on the hash of the code behind a route); none of them should load another layer for one
hash function, and one function means one answer for one file.
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
