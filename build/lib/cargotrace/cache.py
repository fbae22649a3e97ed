"""Where derived data is cached, and how it is written so a killed process never leaves half a file.

Some inputs are slow to prepare but never change for a given package version: the land mask
(decompressing 0.93 GB takes 3-6 s in every process) and the world railway graph. Their derived
forms are cached in `$CARGOTRACE_CACHE`, else `~/.cache/cargotrace`, keyed by the versions of the
packages they come from, so upgrading a package rebuilds them. Deleting the folder is always safe.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

CACHE_ENV = "CARGOTRACE_CACHE"


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """`override`, else `$CARGOTRACE_CACHE`, else `~/.cache/cargotrace` (created if missing)."""
    path = Path(override or os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "cargotrace")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, write: Callable[[str], None]) -> None:
    """Call `write(tmp_path)` on a temporary file beside `path`, then rename it into place:
    readers (and a second process racing this one) see the whole file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give what open() would
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
