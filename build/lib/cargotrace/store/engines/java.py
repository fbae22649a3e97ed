"""Is a Java new enough for Spark installed? Checked before the JVM starts, to explain in one line.

Without this, PySpark only reports that "the Java gateway process exited" after printing shell
errors; `bench/check_java.py` reuses `java_problem` so `make test` explains the same thing
before running any test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

JAVA_MIN = 17
"""Spark 4 runs on Java 17 or newer only."""

_JAVA_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?[^"]*"')


def java_executable() -> str | None:
    """The `java` Spark would launch: `$JAVA_HOME/bin/java` if JAVA_HOME is set, else PATH's."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = os.path.join(java_home, "bin", "java")
        return candidate if os.access(candidate, os.X_OK) else None
    return shutil.which("java")


def parse_java_version(text: str) -> int | None:
    """Major version from `java -version` output: 'version "17.0.15"' → 17, '"1.8.0_292"' → 8."""
    match = _JAVA_VERSION.search(text)
    if match is None:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2) is not None:
        return int(match.group(2))
    return major


def java_problem() -> str | None:
    """None when a Java new enough for Spark is installed, else the one-line explanation."""
    java = java_executable()
    if java is None:
        where = "JAVA_HOME/bin/java" if os.environ.get("JAVA_HOME") else "java on PATH"
        found = f"no {where}"
    else:
        try:
            done = subprocess.run(
                [java, "-version"], capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            found = f"`{java} -version` failed: {exc}"
        else:
            version = parse_java_version(done.stderr + done.stdout)
            if version is not None and version >= JAVA_MIN:
                return None
            found = f"found Java {version}" if version is not None else f"{java}: no version"
    return (
        f"The Spark engine needs Java {JAVA_MIN} or newer ({found}): install it with "
        f"`apt-get install openjdk-{JAVA_MIN}-jre-headless` and check with `java -version`."
    )
