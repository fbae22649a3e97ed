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
slower one would delete the lock the faster one had just taken, and both would write. The
marker names its owner (process id, host, since when) like the lock does: a writer killed
between creating and removing it (a few microseconds) would otherwise stop every later writer
until a person deleted it. A marker whose owner is provably gone (same host, no such process),
or that is older than `TAKEOVER_TIMEOUT_S` (a takeover lasts microseconds: its owner is on
another host and stuck, or its process id was reused), is cleared by renaming it to a name of
the clearer's own and checking that what was renamed is the stale marker that was read: a
marker created meanwhile by a live writer is put back (an exclusive link), never removed.
Writers that find the lock changing hands wait a little longer each time (`BACKOFF_S`). A lock
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
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cargotrace.errors import StoreError
from cargotrace.store.lake.layout import LOCK

log = logging.getLogger(__name__)


ATTEMPTS = 20
"""Tries to take the lock while it changes hands (released, or taken over) under us."""

BACKOFF_S = (0.005, 0.1)
"""The pause after a try that found the lock changing hands: the first, doubled each time up to
the second (about 1.5 s in all over `ATTEMPTS`), so a waiting writer does not spin."""

TAKEOVER_TIMEOUT_S = 60.0
"""Age past which a takeover marker is stale whoever its owner: a takeover takes microseconds,
so an older marker's owner is stuck or gone (and its process id possibly reused)."""


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
    """The holder a lock (or takeover marker) file names; None when there is no such file."""
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
        for attempt in range(ATTEMPTS):
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
                    _pause(attempt)
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
            _clear_if_stale(marker)
            return False
        me = Holder.this_process()
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(me.__dict__, fh)
            if _read_holder(self.path) == dead:
                self.path.unlink(missing_ok=True)
                return True
            return False
        finally:
            if _read_holder(marker) == me:  # not another's, had ours been cleared as stale
                marker.unlink(missing_ok=True)

    def release(self) -> None:
        if self.held:
            holder = _read_holder(self.path)
            if holder is not None and holder.pid == os.getpid():
                self.path.unlink(missing_ok=True)
            self.held = False


def _pause(attempt: int) -> None:
    first, most = BACKOFF_S
    time.sleep(min(first * 2 ** attempt, most))


def _is_stale(marker: Path, text: str) -> bool:
    """True when the takeover marker with this content is left over: its owner is provably gone,
    or it is older than TAKEOVER_TIMEOUT_S (by the time it records, else by the file's)."""
    try:
        doc = json.loads(text)
        owner = Holder(int(doc["pid"]), str(doc["host"]), str(doc["command"]), str(doc["since"]))
        if owner.is_gone():
            return True
        since = datetime.fromisoformat(owner.since).timestamp()
    except (ValueError, KeyError, TypeError):  # torn or empty (killed while writing it)
        try:
            since = marker.stat().st_mtime
        except FileNotFoundError:
            return False
    return time.time() - since > TAKEOVER_TIMEOUT_S


def _clear_if_stale(marker: Path) -> None:
    """Remove a stale takeover marker, and nothing else: it is renamed to a name of this
    process's own and removed only if it is still the marker that was found stale; a marker a
    live writer created since is linked back (an exclusive create, which cannot replace a
    third writer's marker made in the microseconds between: the one case left, logged)."""
    try:
        seen = marker.read_bytes()
    except FileNotFoundError:
        return
    if not _is_stale(marker, seen.decode("utf-8", "replace")):
        return
    claimed = marker.with_name(f"{marker.name}.{os.getpid()}.{uuid.uuid4().hex}")
    try:
        os.rename(marker, claimed)
    except FileNotFoundError:
        return  # another writer cleared it first
    try:
        if claimed.read_bytes() == seen:
            log.warning("%s: removed a stale takeover marker (its writer is gone or stuck): %s",
                        marker.parent, seen.decode("utf-8", "replace")[:200])
            return
        try:  # a live writer's marker, created after the stale one was read: give it back
            os.link(claimed, marker)
        except FileExistsError:
            log.warning("%s: a takeover marker changed hands while a stale one was being "
                        "cleared", marker.parent)
    finally:
        claimed.unlink(missing_ok=True)
