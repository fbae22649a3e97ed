"""A class-data-sharing archive of the classes Spark's JVM loads, made once per machine.

A local Spark session loads some 15,000 classes from Spark's jars, and the JVM parses and
verifies each of them in every process: on the 2-core development machine that was about
4.5 of the 8 CPU-seconds a session costs before its first query returns (decision 0003).
Java's class-data sharing (CDS) keeps those classes, already parsed, in a file the JVM maps
at start. JDK 17 can write such a file when a JVM exits (`-XX:ArchiveClassesAtExit`), on top
of the JDK's own base archive; later JVMs read it with `-XX:SharedArchiveFile`.

How it is made safely, with no network and no extra step for the user:

- The first local session of a machine (per Java and Spark install: `archive_key`) asks its
  JVM to write `spark-<key>.<random>.part` in the cache folder when it exits; nothing is
  waited for (the JVM spends 10-30 s writing it after the command has returned). It claims
  that job first (`spark-<key>.claim`, for an hour), so sessions started meanwhile do not
  write one too. Without a base archive in the JDK the option would stop the JVM, so it is
  only asked when the JDK has one.
- A later session promotes a finished part to `spark-<key>.jsa` by renaming it. Finished
  means its header is there: the JVM writes the header last, and a JVM mapping a file whose
  header is there but whose data is cut short crashes (tested here), so a part is promoted
  only once its header magic is written and it has not changed for `SETTLE_S` seconds.
  Parts that never got a header (a JVM killed while writing) are removed after a day.
- Any session finding `spark-<key>.jsa` uses it. The JVM checks the archive against itself
  and the class path and silently ignores one that does not match (`-Xshare:auto`, the
  default), so a stale archive costs the saving, never the run.
- The JVM's CDS messages (it skips the classes of signed jars, one line each) are turned off:
  the JVM prints them on stdout, which is the CLI's (`--json`).

`CARGOTRACE_SPARK_CLASS_CACHE=0` turns it off. The archive is about 140 MB; deleting it is
always safe (`cargotrace.cache`).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shlex
import time
import uuid
from pathlib import Path

CLASS_CACHE_ENV = "CARGOTRACE_SPARK_CLASS_CACHE"
"""Set to 0 to start Spark's JVM without the class-data-sharing archive (and make none)."""

DYNAMIC_MAGIC = bytes.fromhex("a8ab0bf0")
"""First bytes of a JDK dynamic CDS archive (0xf00baba8, little-endian), written last."""

SETTLE_S = 5.0
"""A part whose header is written is promoted once it has not changed for this long."""

CLAIM_S = 3_600.0
"""How long a session's claim to make the archive stops others from making one too."""

ABANDONED_S = 86_400.0
"""A part still without a header after a day was left by a JVM killed while writing it."""

QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"
"""The JVM logs CDS warnings on stdout by default (one per class of a signed jar)."""


def enabled() -> bool:
    """False when `$CARGOTRACE_SPARK_CLASS_CACHE` is 0 (or false/no/off)."""
    return os.environ.get(CLASS_CACHE_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def archive_key(java: str, spark_version: str, java_options: str) -> str:
    """What the archive depends on: the Java binary (path and file), Spark's version (with the
    folder its jars are in: `spark_build`) and the JVM options it starts with. A new Java or
    Spark, or the same Spark installed in another environment (a JVM refuses an archive made
    with another class path, silently), gets a new archive rather than one never mapped."""
    real = os.path.realpath(java)
    try:
        stat = os.stat(real)
        identity = f"{real}:{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        identity = real
    text = "\n".join([identity, spark_version, java_options])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def has_base_archive(java: str) -> bool:
    """True when the JDK ships its default CDS archive, which a dynamic archive builds on
    (without it, `-XX:ArchiveClassesAtExit` stops the JVM at start)."""
    home = Path(os.path.realpath(java)).parent.parent
    return any((home / "lib" / "server" / name).is_file()
               for name in ("classes.jsa", "classes_nocoops.jsa"))


def _header_written(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(len(DYNAMIC_MAGIC)) == DYNAMIC_MAGIC
    except OSError:
        return False


def promote_finished(folder: Path, key: str, now: float | None = None) -> None:
    """Rename a finished part to the archive (or remove it when the archive exists), and
    remove parts abandoned without a header. Safe to race: renames are atomic, and a JVM
    that mapped a replaced archive keeps the file it opened."""
    now = time.time() if now is None else now
    archive = folder / f"spark-{key}.jsa"
    for part in sorted(folder.glob(f"spark-{key}.*.part")):
        try:
            age = now - part.stat().st_mtime
        except OSError:
            continue  # another process promoted or removed it
        try:
            if _header_written(part) and age >= SETTLE_S:
                if archive.exists():
                    part.unlink()
                else:
                    os.replace(part, archive)
                (folder / f"spark-{key}.claim").unlink(missing_ok=True)
            elif age >= ABANDONED_S:
                part.unlink()
        except OSError:
            continue


def java_options(folder: Path, java: str, spark_version: str, base_options: str) -> str:
    """The JVM options that use this machine's archive, or make one when this JVM exits;
    empty when turned off or when the JDK cannot make one."""
    if not enabled():
        return ""
    key = archive_key(java, spark_version, base_options)
    archive = folder / f"spark-{key}.jsa"
    if not archive.exists():
        promote_finished(folder, key)
    if archive.exists():
        return f"{shlex.quote(f'-XX:SharedArchiveFile={archive}')} {QUIET}"
    if not has_base_archive(java) or not _claim(folder / f"spark-{key}.claim"):
        return ""
    part = folder / f"spark-{key}.{uuid.uuid4().hex[:12]}.part"
    return f"{shlex.quote(f'-XX:ArchiveClassesAtExit={part}')} {QUIET}"


def _claim(marker: Path, now: float | None = None) -> bool:
    """True when this process may make the archive: one JVM at a time writes one (writing
    takes 10-30 CPU-seconds after the command has returned), so a session started while
    another is making it starts without. A claim older than `CLAIM_S` (its JVM was killed
    before writing) is taken over."""
    now = time.time() if now is None else now
    # one process at a time looks at the claim: two that both found a stale one would each
    # remove it (the second removing the first's new claim) and both make an archive
    with open(marker.with_name(marker.name + ".lock"), "a") as serial:
        fcntl.flock(serial, fcntl.LOCK_EX)
        try:
            if now - marker.stat().st_mtime < CLAIM_S:
                return False
            marker.unlink()
        except FileNotFoundError:
            pass
        try:
            marker.touch(exist_ok=False)
        except FileExistsError:
            return False
        return True


def spark_build(version: str, package_dir: str | os.PathLike[str]) -> str:
    """Spark's version and where its jars are: the class path an archive was made with."""
    return f"{version} {os.path.realpath(package_dir)}"


def archive_in(options: str) -> Path | None:
    """The archive a session's JVM options map (`java_options`), or None."""
    for option in shlex.split(options):
        if option.startswith("-XX:SharedArchiveFile="):
            return Path(option.split("=", 1)[1])
    return None
