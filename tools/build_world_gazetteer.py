"""Build cargotrace/data/world_gazetteer.csv.gz: the world ports every new store detects against.

Usage (from the repository root, with the shared data folder beside it):

    python tools/build_world_gazetteer.py [--wpi ../shared/data/ports/UpdatedPub150.csv]
                                          [--searoute ../shared/data/ports/searoute_ports.geojson]

Sources: the NGA World Port Index (Pub. 150, 2024-04 edition; US Government work, public domain)
and the port list inside the `searoute` package (1.6.0; Apache-2.0). The rules (radius, kind,
merge, anchorage) are written down in docs/decisions/0010-world-gazetteer.md; in short:
- every WPI row is a place `wpi:<number>` (its own id, so a user loading the whole WPI file
  replaces it row by row), kind `anchorage` for an open roadstead, else `seaport`, radius by
  WPI Harbor Size (`RADIUS_BY_HARBOR_SIZE`);
- a searoute port joins the WPI row with the same UN/LOCODE (the nearest, when several WPI rows
  share it), else one with the same folded name and country within `SAME_NAME_KM`; otherwise it
  is a place `searoute:<LOCODE>` (3 km). Repeats of a LOCODE within searoute within
  `SAME_NAME_KM` of the first are the same port; farther ones are kept as `:2`, `:3`;
- a point the land mask puts ashore is moved to its open-water anchorage
  (`geo/anchorage.py`, the simulator's rule) and its radius widened to keep the quay inside.
The version names both sources and the first 8 hex digits of the CSV's SHA-256.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cargotrace.geo.anchorage import open_water_anchorage  # noqa: E402
from cargotrace.geo.sphere import distance_km as haversine_km  # noqa: E402
from cargotrace.ingest.gazetteers import clean_aliases  # noqa: E402
from cargotrace.store.place_codes import country_iso2, fold, locode_forms  # noqa: E402

PORTS = ROOT.parent / "shared" / "data" / "ports"
OUT_CSV = ROOT / "cargotrace" / "data" / "world_gazetteer.csv.gz"
OUT_META = ROOT / "cargotrace" / "data" / "world_gazetteer.json"
WPI_EDITION = "2024.04"
SEAROUTE_VERSION = "1.6.0"

RADIUS_BY_HARBOR_SIZE = {"Very Small": 2000.0, "Small": 3000.0, "Medium": 5000.0,
                         "Large": 8000.0}
"""Metres. WPI's Harbor Size is its only measure of a port's extent; 3 km (DESIGN's port-visit
distance) for a small harbour, 8 km for a large one (Rotterdam's or Busan's basins run for tens
of km, but their anchorages are their own places), 2 km for a very small one."""
DEFAULT_RADIUS_M = 3000.0  # no Harbor Size given, or a searoute-only port
SAME_NAME_KM = 10.0
COLUMNS = ("place_id", "name", "aliases", "country", "kind", "lat", "lon", "radius_m",
           "locode", "source")


@dataclass
class Row:
    place_id: str
    name: str
    aliases: list[str]
    country: str
    kind: str
    lat: float
    lon: float
    radius_m: float
    locode: str
    sources: list[str] = field(default_factory=list)


def _wpi_number(text: str) -> str:
    value = float(text)
    return f"{value:.3f}".rstrip("0").rstrip(".")


def read_wpi(path: Path) -> list[Row]:
    """One row per WPI number: the 2024 file repeats two (Machilipatnam, Seydisfjordur), the
    repeat adds its spelling as an alias and fills a missing LOCODE."""
    rows: dict[str, Row] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for rec in csv.DictReader(fh):
            number = _wpi_number(rec["World Port Index Number"])
            alternate = rec["Alternate Port Name"].strip()
            locode = rec["UN/LOCODE"].strip().replace(" ", "")
            locode = locode if len(locode) == 5 else ""
            name = rec["Main Port Name"].strip()
            seen = rows.get(number)
            if seen is not None:
                seen.aliases += [a for a in (name, alternate) if a and a not in seen.aliases]
                seen.locode = seen.locode or locode
                continue
            rows[number] = (Row(
                place_id=f"wpi:{number}", name=name,
                aliases=[alternate] if alternate else [],
                country=country_iso2(rec["Country Code"]) or "",
                kind="anchorage" if rec["Harbor Type"] == "Open Roadstead" else "seaport",
                lat=float(rec["Latitude"]), lon=float(rec["Longitude"]),
                radius_m=RADIUS_BY_HARBOR_SIZE.get(rec["Harbor Size"].strip(), DEFAULT_RADIUS_M),
                locode=locode, sources=[f"NGA WPI no. {number}"],
            ))
    return list(rows.values())


def merge_searoute(rows: list[Row], path: Path) -> tuple[int, int, int]:
    """Add searoute's ports to `rows`; (joined by LOCODE, joined by name, added)."""
    by_locode: dict[str, list[Row]] = {}
    by_name: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        if row.locode:
            by_locode.setdefault(row.locode, []).append(row)
        for name in (row.name, *row.aliases):
            by_name.setdefault((fold(name), row.country), []).append(row)
    joined_code = joined_name = added = 0
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        props, (lon, lat) = feature["properties"], feature["geometry"]["coordinates"]
        code, name = str(props.get("port") or ""), str(props.get("name") or props.get("port"))
        country = country_iso2(props.get("cty")) or ""
        same = by_locode.get(code) or [
            r for r in by_name.get((fold(name), country), [])
            if haversine_km(lat, lon, r.lat, r.lon) <= SAME_NAME_KM]
        if same:
            target = min(same, key=lambda r: haversine_km(lat, lon, r.lat, r.lon))
            joined_code += code in by_locode
            joined_name += code not in by_locode
            target.sources.append(f"searoute {code}")
            if fold(name) not in {fold(target.name), *map(fold, target.aliases)}:
                target.aliases.append(name)
            if not target.locode:
                target.locode = code
            elif code and code != target.locode:  # Najin: WPI KP RJN, searoute KPNJN
                target.aliases.extend(locode_forms(code))
            continue
        n = len([r for r in rows if r.place_id.split(":")[1] == code]) + 1
        row = Row(place_id=f"searoute:{code}" + (f":{n}" if n > 1 else ""), name=name,
                  aliases=[], country=country, kind="seaport", lat=float(lat), lon=float(lon),
                  radius_m=DEFAULT_RADIUS_M, locode=code, sources=[f"searoute {code}"])
        rows.append(row)
        by_locode.setdefault(code, []).append(row)
        by_name.setdefault((fold(name), country), []).append(row)
        added += 1
    return joined_code, joined_name, added


def anchor(rows: list[Row]) -> int:
    """Move the points the land mask puts ashore to open water; how many moved."""
    moved = 0
    for row in rows:
        spot = open_water_anchorage(row.lat, row.lon, row.radius_m)
        if spot.moved_km > 0:
            row.sources.append(
                f"moved {spot.moved_km:g} km to open water from {row.lat:.5f},{row.lon:.5f}")
            row.lat, row.lon, row.radius_m = spot.lat, spot.lon, spot.radius_m
            moved += 1
    return moved


def to_csv(rows: list[Row], version_tag: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in sorted(rows, key=lambda r: r.place_id):
        writer.writerow([
            # the aliases exactly as a store keeps them (the UN/LOCODE's two spellings
            # included), so a store is seeded straight from this file by SQL
            r.place_id, r.name,
            "; ".join(clean_aliases(r.name, [*(part for a in r.aliases for part in a.split(";")),
                                             *locode_forms(r.locode)])), r.country,
            r.kind, f"{r.lat:.5f}", f"{r.lon:.5f}", f"{r.radius_m:.0f}", r.locode,
            f"{version_tag}: " + "; ".join(r.sources),
        ])
    return buf.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wpi", type=Path, default=PORTS / "UpdatedPub150.csv")
    parser.add_argument("--searoute", type=Path, default=PORTS / "searoute_ports.geojson")
    args = parser.parse_args()
    rows = read_wpi(args.wpi)
    wpi_rows = len(rows)
    joined_code, joined_name, added = merge_searoute(rows, args.searoute)
    moved = anchor(rows)
    tag = f"world gazetteer wpi-{WPI_EDITION}+searoute-{SEAROUTE_VERSION}"
    data = to_csv(rows, tag)
    digest = hashlib.sha256(data).hexdigest()
    version = f"wpi-{WPI_EDITION}+searoute-{SEAROUTE_VERSION}+{digest[:8]}"
    OUT_CSV.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    meta = {
        "version": version, "rows": len(rows), "csv_sha256": digest,
        "wpi_rows": wpi_rows, "searoute_joined_by_locode": joined_code,
        "searoute_joined_by_name": joined_name, "searoute_only": added,
        "moved_to_open_water": moved,
        "sources": {
            "wpi": f"NGA World Port Index (Pub. 150), {WPI_EDITION} edition, "
                   "https://msi.nga.mil/Publications/WPI; US Government work, public domain",
            "searoute": f"searoute {SEAROUTE_VERSION} (PyPI), searoute/data/ports.geojson; "
                        "Apache-2.0",
        },
        "build": "python tools/build_world_gazetteer.py",
    }
    OUT_META.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(json.dumps(meta, indent=2) + "\n")
    if any(math.isnan(r.lat) for r in rows):
        raise SystemExit("NaN latitude in output")


if __name__ == "__main__":
    main()
