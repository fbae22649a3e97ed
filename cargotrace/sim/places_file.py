"""The scenario's ports as a gazetteer file (`places.csv`) beside its AIS.

Why: detectors judge "in port" and "away from port" against the `places` table, so scoring a
simulation needs the ports the ships really called at, where they called (the simulator anchors
each port on navigable water; see `scenarios.sea_anchor`). Writing them out lets the CLI
reproduce an evaluation: `cargotrace places load DIR/places.csv`, then detect and evaluate.
Every port is a packaged place (curated or world gazetteer) and keeps its row: loading this file
into a store that already has them changes nothing but what the user names.
"""

from __future__ import annotations

import csv
from pathlib import Path

from cargotrace.sim.plan import Port
from cargotrace.sim.scenarios import packaged_ports

__all__ = ["write_places"]

COLUMNS = ("place_id", "name", "aliases", "country", "kind", "lat", "lon", "radius_m",
           "watch_reason", "source")


def write_places(ports: list[Port], path: Path) -> Path:
    packaged = packaged_ports()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        for port in sorted(ports, key=lambda p: p.place_id):
            base = packaged[port.place_id]
            writer.writerow({
                "place_id": port.place_id, "name": port.name,
                "aliases": "; ".join(base.aliases), "country": base.country or "",
                "kind": base.kind, "lat": f"{port.lat:.6f}",
                "lon": f"{port.lon:.6f}", "radius_m": f"{port.radius_m:.0f}",
                "watch_reason": base.watch_reason or "", "source": base.source,
            })
    return path
