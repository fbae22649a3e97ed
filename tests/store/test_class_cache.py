"""The JVM class-data-sharing archive behind local Spark sessions (`store/engines/class_cache.py`)
and the per-process scratch folders of `session.py`.

The archive protocol is checked with the real JDK (a JVM writing an archive at exit, a later
one mapping it), not with made-up files only: what matters is what the JVM accepts.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from cargotrace.store.engines import class_cache
from cargotrace.store.engines.java import java_executable
from cargotrace.store.engines.session import (
    OWNER_FILE,
    SCRATCH_PREFIX,
    SPARK_JAVA_OPTIONS,
    scratch_folder,
)

KEY = "0123456789abcdef"


def _java() -> str:
    java = java_executable()
    assert java is not None, "the Spark engine's tests need Java 17+ (bench/check_java.py)"
    return java


def _run_java(options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_java(), *shlex.split(options), "-Xshare:auto", "-version"],
                          capture_output=True, text=True, timeout=120, check=False)


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_jvm_writes_the_archive_at_exit_and_the_next_session_maps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(class_cache.CLASS_CACHE_ENV, raising=False)
    java = _java()
    first = class_cache.java_options(tmp_path, java, "4.0.5", SPARK_JAVA_OPTIONS)
    assert "-XX:ArchiveClassesAtExit=" in first
    # one JVM at a time makes it: a session started meanwhile neither uses nor makes one
    assert class_cache.java_options(tmp_path, java, "4.0.5", SPARK_JAVA_OPTIONS) == ""
    done = _run_java(first)
    assert done.returncode == 0, done.stderr
    assert "cds" not in done.stdout  # the JVM's CDS lines would land in the CLI's stdout
    parts = list(tmp_path.glob("spark-*.part"))
    assert len(parts) == 1
    # just written: left alone until it has settled, then promoted by the next session
    key = class_cache.archive_key(java, "4.0.5", SPARK_JAVA_OPTIONS)
    class_cache.promote_finished(tmp_path, key)
    assert parts[0].exists()
    _age(parts[0], class_cache.SETTLE_S + 1)
    second = class_cache.java_options(tmp_path, java, "4.0.5", SPARK_JAVA_OPTIONS)
    archive = tmp_path / f"spark-{key}.jsa"
    assert archive.is_file() and not parts[0].exists()
    assert not list(tmp_path.glob("*.claim"))
    assert f"-XX:SharedArchiveFile={archive}" in second
    # the JVM maps it: with class loading logged, classes come from the archive ("top" layer)
    mapped = _run_java(second + " -Xshare:on -Xlog:class+load=info")
    assert mapped.returncode == 0, mapped.stderr
    assert "source: shared objects file (top)" in mapped.stdout


def test_a_claim_left_by_a_killed_session_is_taken_over_after_an_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(class_cache.CLASS_CACHE_ENV, raising=False)
    java = _java()
    key = class_cache.archive_key(java, "4.0.5", SPARK_JAVA_OPTIONS)
    claim = tmp_path / f"spark-{key}.claim"
    claim.touch()
    assert class_cache.java_options(tmp_path, java, "4.0.5", SPARK_JAVA_OPTIONS) == ""
    _age(claim, class_cache.CLAIM_S + 60)
    assert "-XX:ArchiveClassesAtExit=" in class_cache.java_options(
        tmp_path, java, "4.0.5", SPARK_JAVA_OPTIONS)
    assert time.time() - claim.stat().st_mtime < 60  # claimed afresh


def test_parts_without_a_header_are_never_promoted_and_go_after_a_day(tmp_path: Path) -> None:
    archive = tmp_path / f"spark-{KEY}.jsa"
    writing = tmp_path / f"spark-{KEY}.aaaa.part"  # a JVM still writing: no header yet
    writing.write_bytes(b"\0" * 4096)
    killed = tmp_path / f"spark-{KEY}.bbbb.part"  # a JVM killed while writing
    killed.write_bytes(b"\0" * 4096)
    _age(writing, 60)
    _age(killed, class_cache.ABANDONED_S + 60)
    other = tmp_path / "spark-fedcba9876543210.cccc.part"  # another Java's: not ours to judge
    other.write_bytes(class_cache.DYNAMIC_MAGIC + b"\0" * 100)
    _age(other, 60)
    class_cache.promote_finished(tmp_path, KEY)
    assert not archive.exists()
    assert writing.exists() and not killed.exists() and other.exists()


def test_a_second_finished_part_is_removed_once_the_archive_exists(tmp_path: Path) -> None:
    archive = tmp_path / f"spark-{KEY}.jsa"
    archive.write_bytes(class_cache.DYNAMIC_MAGIC + b"first")
    late = tmp_path / f"spark-{KEY}.dddd.part"
    late.write_bytes(class_cache.DYNAMIC_MAGIC + b"second")
    _age(late, 60)
    class_cache.promote_finished(tmp_path, KEY)
    assert not late.exists()
    assert archive.read_bytes().endswith(b"first")  # the one JVMs may have mapped stays


def test_the_archive_can_be_turned_off_and_needs_the_jdks_base_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(class_cache.CLASS_CACHE_ENV, "0")
    assert class_cache.java_options(tmp_path, _java(), "4.0.5", SPARK_JAVA_OPTIONS) == ""
    monkeypatch.delenv(class_cache.CLASS_CACHE_ENV)
    # a JDK laid out without lib/server/classes.jsa: asking it to dump would stop its JVM
    fake = tmp_path / "jdk" / "bin" / "java"
    fake.parent.mkdir(parents=True)
    fake.write_text("")
    assert not class_cache.has_base_archive(str(fake))
    assert class_cache.java_options(tmp_path, str(fake), "4.0.5", SPARK_JAVA_OPTIONS) == ""
    assert class_cache.has_base_archive(_java())
    # a new Spark or new options make a new key (a new archive, not one the JVM refuses)
    keys = {class_cache.archive_key(_java(), v, o) for v in ("4.0.5", "4.1.0")
            for o in (SPARK_JAVA_OPTIONS, SPARK_JAVA_OPTIONS + " -Xss4m")}
    assert len(keys) == 4
    # the same Spark in another environment has other jars on its class path: a JVM would
    # silently refuse the first one's archive, so it gets its own
    assert len({class_cache.archive_key(_java(), class_cache.spark_build("4.0.5", tmp_path / d),
                                        SPARK_JAVA_OPTIONS) for d in ("venv-a", "venv-b")}) == 2


def test_scratch_folders_of_dead_processes_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    """A folder is an orphan when its owner file can be locked (its process is gone, even
    one whose process id this process cannot see); a live process's folder is kept."""
    made = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from cargotrace.store.engines.session import scratch_folder
        print(scratch_folder(Path({str(tmp_path)!r})), flush=True)
        if sys.argv[1] == "live":
            sys.stdin.readline()  # holds its folder until told to go
        else:
            import os
            os._exit(0)  # dies without its exit handlers, as a killed process does
    """)
    dead = subprocess.run([sys.executable, "-c", made, "dead"], capture_output=True,
                          text=True, check=True)
    orphan = Path(dead.stdout.strip())
    assert orphan.is_dir() and (orphan / OWNER_FILE).exists()
    live_process = subprocess.Popen([sys.executable, "-c", made, "live"], text=True,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert live_process.stdout is not None
        live = Path(live_process.stdout.readline().strip())
        old_style = tmp_path / f"{SCRATCH_PREFIX}0ub2fc0c"  # before owner files
        old_style.mkdir()
        recent_old_style = tmp_path / f"{SCRATCH_PREFIX}28cqvh0h"
        recent_old_style.mkdir()
        then = time.time() - 2 * 86_400
        os.utime(old_style, (then, then))
        mine = scratch_folder(tmp_path)
        assert mine.is_dir() and mine.name.startswith(f"{SCRATCH_PREFIX}{os.getpid()}-")
        assert not orphan.exists() and not old_style.exists()
        assert live.exists() and recent_old_style.exists()
        assert scratch_folder(tmp_path) != mine and mine.exists()  # this process's own: kept
    finally:
        live_process.communicate("go\n", timeout=60)


def test_a_damaged_archive_is_removed_and_the_session_starts_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JVM that cannot start with the archive (cut short after it was promoted) does not
    stop Spark: the archive is removed and the session starts without it."""
    import types

    from cargotrace.store.engines import session as session_module

    archive = tmp_path / "spark-key.jsa"
    archive.write_bytes(b"\x00" * 64)
    monkeypatch.setattr(class_cache, "java_options",
                        lambda *_: f"-XX:SharedArchiveFile={archive} {class_cache.QUIET}")
    monkeypatch.setattr(session_module, "java_problem", lambda: None)
    started: list[str] = []

    def start(_: Any, config: dict[str, str]) -> Any:
        options = config["spark.driver.extraJavaOptions"]
        started.append(options)
        if "SharedArchiveFile" in options:
            raise RuntimeError("[JAVA_GATEWAY_EXITED] Java gateway process exited")
        return types.SimpleNamespace(sparkContext=types.SimpleNamespace(
            setLogLevel=lambda level: None))

    monkeypatch.setattr(session_module, "_start", start)
    session_module._local_session()
    assert len(started) == 2 and "SharedArchiveFile" not in started[1]
    assert not archive.exists()
    assert class_cache.archive_in(started[0]) == archive
