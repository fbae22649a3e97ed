"""The methods section: everything needed to reproduce the report — the case file (by hash),
the parameters of the case build and of every detection run, the AIS files and sanctions lists
in the store (by hash), the software versions, and the sources to credit.

Why hashes and versions: a published finding is challenged months later; the reader must be
able to tell whether a rerun used the same inputs and the same code.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from cargotrace.provenance import file_sha256
from cargotrace.publish.features import file_name
from cargotrace.publish.params import ReportParams
from cargotrace.publish.report.times import as_utc
from cargotrace.screen.practices import detected_kinds
from cargotrace.store.store import Store
from cargotrace.version import __version__

__all__ = ["LAND_ATTRIBUTION", "methods_section", "params_items", "software_versions",
           "store_inputs"]

LAND_ATTRIBUTION = "Map land and borders: Natural Earth 1:10m admin-0 (public domain)"
# place ids are "<file stem>:<key>" unless the file gives its own ("ct:" in the curated one)
PLACE_ORIGINS = {"ct": "curated gazetteer (cargotrace/data/gazetteer.csv, every row cited)"}
PACKAGES = ("duckdb", "ibis-framework", "pyarrow", "pyais", "followthemoney", "anyascii",
            "rapidfuzz", "networkx", "searoute", "scgraph-data", "shapely", "global-land-mask",
            "jinja2")


def _versions() -> list[dict[str, str]]:
    out = [{"name": "cargotrace", "version": __version__},
           {"name": "python", "version": platform.python_version()}]
    for name in PACKAGES:
        try:
            out.append({"name": name, "version": metadata.version(name)})
        except metadata.PackageNotFoundError:
            out.append({"name": name, "version": "not installed"})
    return out


def software_versions() -> list[dict[str, str]]:
    """cargotrace's, Python's and the key packages' versions (every report's methods)."""
    return _versions()


def store_inputs(store: Store) -> dict[str, Any]:
    """The store's AIS files, lists, detection runs and places (every report's methods)."""
    return _store_inputs(store)


def params_items(value: Any, prefix: str = "") -> list[dict[str, str]]:
    """A parameters document as readable (key, value) rows, sorted by key; nested documents
    get dotted keys ('loads.reference'). Why not the JSON: a reader checks one value at a time
    against the docs, and a long JSON line in a narrow cell is unreadable."""
    if not isinstance(value, dict):
        return [{"key": prefix or "value", "value": _value_text(value)}]
    rows: list[dict[str, str]] = []
    for key in sorted(value):
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value[key], dict) and value[key]:
            rows += params_items(value[key], name)
        else:
            rows.append({"key": name, "value": _value_text(value[key])})
    return rows


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _params_sets(texts: list[str] | None) -> list[list[dict[str, str]]]:
    """Each distinct parameter set recorded on a kind's events (usually one)."""
    out = []
    for text in sorted(texts or []):
        try:
            out.append(params_items(json.loads(text)))
        except ValueError:  # not JSON: shown as recorded
            out.append([{"key": "params", "value": text}])
    return out


def _without_shared(texts: list[str], shared: dict[str, set[str]]) -> list[str]:
    """A kind's recorded parameter sets without the sections every kind of a run shares: the
    feed coverage (`coverage`, read by every silence kind) and the gazetteer (`inputs.places`,
    read by every kind), which are added to `shared` to be shown once. Why: repeated on each
    kind, they made every row of the detection table a screen tall."""
    out = []
    for text in texts:
        try:
            doc = json.loads(text)
        except ValueError:
            out.append(text)
            continue
        if isinstance(doc, dict):
            if isinstance(doc.get("coverage"), dict):
                shared["coverage"].add(json.dumps(doc.pop("coverage"), sort_keys=True))
            inputs = doc.get("inputs")
            if isinstance(inputs, dict) and isinstance(inputs.get("places"), dict):
                shared["places"].add(json.dumps(inputs.pop("places"), sort_keys=True))
                if not inputs:
                    doc.pop("inputs")
            text = json.dumps(doc, sort_keys=True)
        out.append(text)
    return out


def _when(value: Any) -> str:
    """'20 Sep 2023 23:58 UTC' from a recorded ISO 8601 time (shown as recorded otherwise)."""
    if not value:
        return ""
    try:
        return as_utc(value).strftime("%d %b %Y %H:%M UTC")
    except (TypeError, ValueError):
        return str(value)


def _store_inputs(store: Store) -> dict[str, Any]:
    con = store.con
    # files by name and hash, never by path: a shared report must not show the analyst's folders
    ingests = [dict(zip(("ingest_id", "path", "sha256", "format", "records", "positions",
                         "quarantined", "finished"), (row[0], file_name(row[1]), *row[2:]),
                        strict=True))
               for row in con.execute(
                   "SELECT ingest_id, path, sha256, format, records_read, positions_stored, "
                   "quarantined, finished_at FROM ingests ORDER BY ingest_id").fetchall()]
    loads = [dict(zip(("load_id", "list", "path", "sha256", "as_of", "entities", "vessels"),
                      (*row[:2], file_name(row[2]), *row[3:]), strict=True))
             for row in con.execute(
                 "SELECT load_id, list, path, sha256, as_of, entities, vessels "
                 "FROM sanctions_loads ORDER BY load_id").fetchall()]
    used = dict(con.execute(
        "SELECT kind, list(DISTINCT params::VARCHAR) FROM events GROUP BY kind").fetchall())
    shared: dict[str, set[str]] = {"coverage": set(), "places": set()}
    used = {kind: _without_shared(texts, shared) for kind, texts in used.items()}
    detections = [{"kind": kind, "preset": run.get("preset", ""), "engine": run.get("engine", ""),
                   "events": run.get("events", ""), "ran_at": _when(run.get("ran_at")),
                   "data_end": _when(run.get("data_end")), "params": _params_sets(used.get(kind))}
                  for kind, run in sorted(detected_kinds(store).items())]
    if shared["coverage"]:  # the feed coverage every silence kind read, once
        detections.append({"kind": "coverage", "preset": "shared", "engine": "silence kinds",
                           "events": "", "ran_at": "", "data_end": "",
                           "params": _params_sets(sorted(shared["coverage"]))})
    if shared["places"]:  # the gazetteer every kind read, once
        detections.append({"kind": "places", "preset": "shared", "engine": "every kind",
                           "events": "", "ran_at": "", "data_end": "",
                           "params": _params_sets(sorted(shared["places"]))})
    # each place cites its own source; grouped by the id prefix of the gazetteer it came from
    places = con.execute("SELECT split_part(place_id, ':', 1) AS origin, count(*) FROM places "
                         "GROUP BY origin ORDER BY origin").fetchall()
    return {"ingests": ingests, "sanctions_loads": loads, "detections": detections,
            "places": [{"source": PLACE_ORIGINS.get(o, f"loaded from a file named {o}"), "count": n}
                       for o, n in places]}


def methods_section(case_path: Path, case_dict: dict[str, Any], store: Store | None,
                    store_path: Path | None, params: ReportParams,
                    attribution: list[str], out: tuple[Path, str] | None = None) -> dict[str, Any]:
    """`out`: the folder and format the report was written with (for the command line).

    Files are named without their folders (the case file, the store, the output folder, the
    inputs): a report is shared, and its paths would show the analyst's folder names; the
    hashes identify the files."""
    command = f"cargotrace report {file_name(case_path)}"
    if store_path is not None:
        command += f" --store {file_name(store_path)}"
    if out is not None:
        command += (f" --out {file_name(out[0])}"
                    + (f" --format {out[1]}" if out[1] != "html" else ""))
    if params != ReportParams():
        command += "  (with the report parameters below: Python API, ReportParams)"
    return {
        "case_file": file_name(case_path), "case_sha256": file_sha256(case_path),
        "store": file_name(store_path),
        "command": command,
        "case_params": params_items(case_dict["params"]),
        "report_params": params_items(asdict(params)),
        "route_requests": case_dict["route_requests"],
        "versions": _versions(),
        "inputs": _store_inputs(store) if store is not None else None,
        "attribution": [*attribution, *([LAND_ATTRIBUTION] if LAND_ATTRIBUTION not in
                                        attribution else [])],
    }
