"""What the benchmarks record about the machine they ran on."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def load_average() -> list[float]:
    """The 1, 5 and 15-minute load averages: other work on the machine skews every number."""
    return [round(x, 2) for x in os.getloadavg()]


def machine_facts(load_at_start: list[float]) -> dict[str, Any]:
    """The `machine` block of a benchmark's JSON: CPU, cores, Python and the load around it."""
    return {"cpu": cpu_model(), "cores": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "load_average_at_start": load_at_start,
            "load_average_at_end": load_average()}
