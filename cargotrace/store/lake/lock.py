"""The writer lock: one writing process per lake, and one clear line naming it to any other.

Why a lock when commits are atomic anyway: two writers would both prepare version N+1 from
version N, and the loser's whole ingest would be refused at its last step (snapshot.publish).
DESIGN.md's rule for the DuckDB store (one writer; the others get one line naming the holder)
is kept for the lake. The lock is `_lock.json`, created with an exclusive create and naming the
holder (process id, host, command, since when). It is removed when the writer closes the lake.

A writer killed with SIGKILL cannot remove it. The next writer on the same host sees that the
named process is gone and takes the lock over (logged). Two writers may see the same dead
holder at once; only the one that creates `_lock.json.takeover` (an exclusive create) may
remove the dead holder's lock, and only after reading it again under that marker: otherwise the
slower one would delete the lock the faster one had just taken, and both would write. A lock
from another host can't be checked that way, so it is reported with the file to delete once
that host's process is known to be gone. Readers take no lock: they read a committed snapshot,
whose files are never changed.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cargotrace.errors import StoreError
from cargotrace.store.lake.layout import LOCK

log = logging.getLogger(__name__)


ATTEMPTS = 20
"""Tries to take the lock while it changes hands (released, or taken over) under us."""


class LakeLockedError(StoreError):
    """Another process is writing the lake."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lake's writer lock."""

    pid: int
    host: str
    command: str
    since: str

    @classmethod
    def this_process(cls) -> Holder:
        command = " ".join(os.path.basename(a) if i == 0 else a
                           for i, a in enumerate(sys.argv))[:200]
        return cls(os.getpid(), socket.gethostname(), command or "python",
                   datetime.now(UTC).isoformat(timespec="seconds"))

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} (`{self.command}`) since {self.since}"

    def is_gone(self) -> bool:
        """True only when the holder is provably dead: same host, no such process."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, another user's
            return False
        return False


def _read_holder(path: Path) -> Holder | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return Holder(int(doc["pid"]), str(doc["host"]), str(doc["command"]), str(doc["since"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # a lock being written this very moment, or a torn one: treat as held by an unknown
        return Holder(-1, "unknown host", "unknown command", "unknown time")


class WriterLock:
    """The lake's writer lock, taken by `acquire` and given back by `release`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / LOCK
        self.held = False
        self.took_over: Holder | None = None
        """The dead holder whose lock this one replaced (its orphan files need removing)."""

    def acquire(self) -> None:
        """Take the lock, or raise LakeLockedError with one line naming the holder."""
        for _ in range(ATTEMPTS):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = _read_holder(self.path)
                if holder is None:
                    continue  # released meanwhile: try again
                if holder.is_gone():
                    if self._take_over(holder):
                        log.warning("%s: taking over the lock of %s, which is no longer "
                                    "running", self.root, holder.describe())
                        self.took_over = holder
                    continue
                raise LakeLockedError(
                    f"{self.root}: another process is writing this lake: {holder.describe()}; "
                    f"wait for it to finish (if it is gone, delete {self.path})") from None
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(Holder.this_process().__dict__, fh)
                fh.flush()
                os.fsync(fh.fileno())
            self.held = True
            return
        raise LakeLockedError(
            f"{self.root}: could not take the writer lock {self.path} (it kept changing hands, "
            f"or another process is taking it over); try again (if no cargotrace process "
            f"writes this lake, delete {self.path} and {self.path}.takeover)")

    def _take_over(self, dead: Holder) -> bool:
        """Remove `dead`'s lock if it is still the lock, as the one process allowed to (the
        creator of the takeover marker); False when another process is taking it over or
        the lock changed hands meanwhile (the caller tries again)."""
        marker = self.path.with_name(self.path.name + ".takeover")
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            os.close(fd)
            if _read_holder(self.path) == dead:
                self.path.unlink(missing_ok=True)
                return True
            return False
        finally:
            marker.unlink(missing_ok=True)

    def release(self) -> None:
        if self.held:
            holder = _read_holder(self.path)
            if holder is not None and holder.pid == os.getpid():
                self.path.unlink(missing_ok=True)
            self.held = False
