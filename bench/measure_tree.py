"""Wall time, CPU and peak memory of a command and every process it starts.

    python bench/measure_tree.py RESULTS.jsonl LABEL -- CMD [ARGS...]

A Spark run is three kinds of process (the Python client, the JVM, the Python workers it
forks), so `/usr/bin/time` on the client misses most of it. This samples the command's process
tree from `/proc` every 0.25 s and keeps, per process, its CPU seconds and its peak resident
set; it appends one JSON line (label, exit code, wall, total CPU, the processes over 0.5 CPU-s
or 100 MB, the load average before and after) to RESULTS.jsonl and exits with the command's
code. A process that lives less than a sample is missed; the peak is sampled, so it can be
under the true VmHWM by what a 0.25 s burst allocates. Used for docs/reference/scaling.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        kids.setdefault(int(fields[1]), []).append(int(entry))
    return kids


def tree(root: int) -> list[int]:
    kids, out, todo = children(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out


def sample(pid: int) -> tuple[str, float, int] | None:
    """(command name, CPU seconds, resident bytes) of one process, None once it is gone."""
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    return name, (int(fields[11]) + int(fields[12])) / TICK, int(fields[21]) * PAGE


def main(argv: list[str]) -> int:
    results, label, cmd = argv[0], argv[1], argv[argv.index("--") + 1:]
    load0, t0 = os.getloadavg(), time.perf_counter()
    proc = subprocess.Popen(cmd)
    seen: dict[int, tuple[str, float, int]] = {}
    while proc.poll() is None:
        for pid in tree(proc.pid):
            got = sample(pid)
            if got:
                name, cpu, rss = got
                old = seen.get(pid, (name, 0.0, 0))
                seen[pid] = (name, max(old[1], cpu), max(old[2], rss))
        time.sleep(0.25)
    wall = time.perf_counter() - t0
    procs = [{"pid": p, "comm": n, "cpu_s": round(c, 1), "peak_mb": round(r / 2**20)}
             for p, (n, c, r) in seen.items() if c > 0.5 or r > 100 * 2**20]
    record = {"label": label, "rc": proc.returncode, "wall_s": round(wall, 1),
              "cpu_s": round(sum(c for _, c, _ in seen.values()), 1), "procs": procs,
              "load_start": [round(x, 2) for x in load0],
              "load_end": [round(x, 2) for x in os.getloadavg()],
              "at": time.strftime("%H:%M:%S", time.gmtime())}
    with open(results, "a") as out:
        out.write(json.dumps(record) + "\n")
    print(json.dumps(record), file=sys.stderr, flush=True)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
