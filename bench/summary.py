"""One table of every benchmark result: bench/results/*.json -> bench/results/README.md.

Run last by `make bench` (and `make bench-scale`). Each benchmark script writes its own JSON
(detection: bench_detect.py and bench_scale.py; ingest: bench_ingest.py; NMEA encoding,
fuzzing); this script only reads them, so a reader finds every measured figure in one place
with what it needs to judge it: when, on which machine and versions, under which load (other
sessions share the 2 cores: a figure measured at load 6 is not comparable with one at load 1).
A file whose layout it does not know still gets a row (its top-level numbers), never an error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HEADER = (
    "# Benchmark results\n\n"
    "Written by `bench/summary.py` from the JSON files beside it (run last by `make bench`);\n"
    "do not edit by hand. Times are medians of the runs each file records; a ratio is always\n"
    "of two measurements on the same rows in the same run. Each file's section states the\n"
    "machine and its load average when the run started and ended (2 cores shared with other\n"
    "work: compare figures at similar load).\n\n"
)


def _num(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def _context(doc: dict[str, Any]) -> dict[str, str]:
    machine = doc.get("machine", {}) if isinstance(doc.get("machine"), dict) else {}
    versions = doc.get("versions", {}) if isinstance(doc.get("versions"), dict) else {}
    start = (machine.get("load_average_at_start") or machine.get("load_average_before")
             or doc.get("load_average"))
    end = machine.get("load_average_at_end") or machine.get("load_average_after")

    def loads(value: Any) -> str:
        if isinstance(value, list | tuple):
            return " / ".join(_num(x) for x in value)
        return _num(value) if value is not None else "not recorded"
    return {
        "date": str(doc.get("date") or doc.get("when") or "not recorded")[:16],
        "machine": ", ".join(str(machine[k]) + (" cores" if k == "cores" else "")
                             for k in ("cpu", "cores") if k in machine) or "not recorded",
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()) or "not recorded",
        "load": loads(start) if start else "not recorded",
        "load_end": loads(end) if end else "not recorded",
    }


def _detect_rows(doc: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for label, stages in doc["results"].items():
        for stage in stages.values():
            runs = len(stage.get("seconds", [])) or stage.get("reps", 1)
            rows.append((f"{label}: {stage['stage']}",
                         f"{_num(stage['median_s'])} s ({runs} runs), "
                         f"{_num(stage['positions_per_s'])} positions/s, "
                         f"{_num(stage['positions'])} positions, "
                         f"peak {_num(stage['peak_rss_mb'])} MB"))
    rows += [(f"ratio: {k}", _num(v)) for k, v in doc.get("ratios", {}).items()]
    rows += [(f"note: {k}", _num(v)) for k, v in doc.get("notes", {}).items()
             if isinstance(v, int | float | str)]
    return rows


def _tool_rows(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """One row per compared tool (`results.<tool>` = {median_s, runs_s, peak_rss_mb}), as the
    ingest benchmark writes them, then its ratios."""
    rows = []
    for tool, run in doc["results"].items():
        if "median_s" not in run:  # e.g. aiscat not installed: say so, not a blank
            rows.append((tool, "; ".join(f"{k}: {v}" for k, v in run.items())))
            continue
        runs = len(run.get("runs_s", [])) or 1
        rows.append((tool, f"{_num(run['median_s'])} s ({runs} runs), "
                           f"peak {_num(run.get('peak_rss_mb', 'not recorded'))} MB"))
    rows += [(f"ratio: {k}", _num(v)) for k, v in doc.get("ratios", {}).items()]
    return rows


def _rows(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """The rows of a result document, by its layout; a layout this script does not know (or
    a damaged file) gets the generic rows, never an error."""
    results = doc.get("results")
    try:
        if isinstance(results, dict) and all(
                isinstance(v, dict) and all(isinstance(s, dict) and "stage" in s
                                            for s in v.values()) for v in results.values()):
            return _detect_rows(doc)
        if isinstance(results, dict) and all(
                isinstance(v, dict) and ("median_s" in v or "unavailable" in v)
                for v in results.values()):
            return _tool_rows(doc)
    except (KeyError, TypeError, AttributeError):
        pass
    return _generic_rows(doc)


def _generic_rows(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """Medians, throughputs and ratios of a layout this script does not know in detail."""
    rows = []
    for key in ("median_s", "throughput"):
        if isinstance(doc.get(key), dict):
            rows += [(f"{key}: {k}", _num(v)) for k, v in doc[key].items()]
    for key, value in doc.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            rows.append((key, _num(value)))
        elif isinstance(value, list) and value and all(isinstance(x, int | float)
                                                         for x in value):
            ordered = sorted(value)
            rows.append((f"{key} (median of {len(value)})", _num(ordered[len(value) // 2])))
    return rows


def _cell(text: str) -> str:
    """A table cell: a `|` or a line break in a label would break the row."""
    return text.replace("|", "\\|").replace("\n", " ")


def rows_of(path: Path) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The context (date, machine, versions, load) of one result file and its rows (one
    per measurement)."""
    blank = {"date": "", "machine": "", "versions": "", "load": "", "load_end": ""}
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return blank, [("unreadable", str(exc)[:80])]
    if not isinstance(doc, dict):
        return blank, [("unreadable", "not a JSON object")]
    return _context(doc), _rows(doc)


def table(results: Path) -> str:
    """One section per result file: when, on which machine and versions, under which load
    (stated once, above its rows), then a table of its measurements."""
    parts = []
    for path in sorted(results.glob("*.json")):
        context, rows = rows_of(path)
        parts.append(
            f"## {path.name}\n\n"
            f"- date (UTC): {context['date'] or 'not recorded'}\n"
            f"- machine: {context['machine'] or 'not recorded'}\n"
            f"- load average 1/5/15 min at start: {context['load'] or 'not recorded'}; "
            f"at end: {context['load_end'] or 'not recorded'}\n"
            f"- versions: {context['versions'] or 'not recorded'}\n\n"
            "| measure | value |\n|---|---|\n"
            + "".join(f"| {_cell(m)} | {_cell(v)} |\n" for m, v in rows))
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=Path, default=HERE / "results")
    args = parser.parse_args()
    (args.results / "README.md").write_text(HEADER + table(args.results))


if __name__ == "__main__":
    main()
