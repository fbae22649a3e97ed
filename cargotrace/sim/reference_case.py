"""The reference case in simulation: an *Angara*-like shuttle between Najin and Dunay, Sept 2023.

Public facts used (DESIGN.md): ~300 containers staged at Najin on 7-8 Sept 2023, *Angara*
(IMO 9179842, US-sanctioned since May 2022) arrived at Dunay on 12 Sept with its AIS off. The
first crossing is dark from before Najin until days after Dunay ("not visible at all"); later
crossings are dark at sea but visible in port. Everything else (its MMSI, times of day, the
quantities seen) is simulated, and the evidence file says so on every item.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from cargotrace.detect.kinds import EventKind
from cargotrace.sim.behaviours import HOUR, Pending, Planted
from cargotrace.sim.fleet import SimVessel
from cargotrace.sim.params import ScenarioParams
from cargotrace.sim.plan import Leg, Plan, Port, transit_leg
from cargotrace.sim.ships import SimShip
from cargotrace.sim.truth import TruthRow, utc

ANGARA_IMO = 9179842  # public: OFAC SDN list, vessel ANGARA
LIGHT_DRAUGHT_M = 4.6
LOADED_DRAUGHT_M = 7.9


def _t(day: int, hour: float) -> float:
    return datetime(2023, 9, day, tzinfo=UTC).timestamp() + hour * HOUR


def _dark_off_on(leg: Leg, margin_km: float = 15.0) -> tuple[float, float]:
    import numpy as np

    assert leg.route is not None and leg.profile_km is not None and leg.profile_s is not None
    off = leg.t0 + float(np.interp(margin_km, leg.profile_km, leg.profile_s))
    on = leg.t0 + float(np.interp(leg.route.length_km - margin_km, leg.profile_km, leg.profile_s))
    return off, on


def plant_reference_case(
    window: tuple[float, float],
    ports: list[Port],
    planted: Planted,
    rng: random.Random,
    first_id: int,
) -> list[SimShip]:
    """The Angara-like ship, its shuttle Vostochny -> Najin -> Dunay (three crossings) and the
    truth rows a detector should find: the covert first crossing, its draught change, and the
    two later crossings dark at sea."""
    by_id = {p.place_id: p for p in ports}
    najin, dunay, vostochny = by_id["ct:najin"], by_id["ct:dunay"], by_id["ct:vostochny"]
    vessel = _angara(rng, first_id)
    legs, crossings = _shuttle(vessel, window, najin, dunay, vostochny)
    first, second, third = crossings
    off1, _ = _dark_off_on(first)
    on1 = _t(14, 0)
    ship = SimShip(vessel, Plan(vessel.vessel_id, legs))
    ship.ais_off = [(off1, on1), _dark_off_on(second), _dark_off_on(third)]
    ship.draughts = [
        (off1 + 60, LOADED_DRAUGHT_M),
        (on1 + 2 * 86400, LIGHT_DRAUGHT_M),
        (_t(21, 6), LOADED_DRAUGHT_M),
        (_t(24, 12), LIGHT_DRAUGHT_M),
    ]
    _plant_covert_crossing(planted, vessel, (off1, on1), najin, dunay, vostochny)
    for leg, dest in ((second, najin), (third, dunay)):
        _plant_dark_crossing(planted, vessel, leg, dest)
    planted.reference = ship
    return [ship]


def _angara(rng: random.Random, vessel_id: int) -> SimVessel:
    """The sanctioned ship: public IMO and name, simulated MMSI and call sign."""
    return SimVessel(
        vessel_id=vessel_id,
        mmsi=273000000 + rng.randrange(100000, 999999),
        imo=ANGARA_IMO,
        name="ANGARA",
        callsign=f"UB{rng.randrange(1000, 9999)}",
        flag="RU",
        ship_type=70,
        kind="cargo",
        transceiver="A",
        speed_kn=12.5,
        length_m=120,
        beam_m=20,
        draught_m=LIGHT_DRAUGHT_M,
    )


def _shuttle(
    vessel: SimVessel, window: tuple[float, float], najin: Port, dunay: Port, vostochny: Port
) -> tuple[list[Leg], tuple[Leg, Leg, Leg]]:
    """The voyage plan on the public dates (staged at Najin 7-8 Sept, at Dunay 12 Sept), and the
    legs whose AIS goes off: Vostochny -> Najin (the covert voyage starts on it), then the later
    Dunay -> Najin and Najin -> Dunay."""
    legs: list[Leg] = [
        Leg(
            "stay",
            window[0] - 2 * 86400,
            _t(5, 6),
            vostochny.lat,
            vostochny.lon,
            vostochny.place_id,
        )
    ]

    def sail(dest: Port, depart: float) -> Leg:
        here = legs[-1]
        leg = transit_leg(
            depart, (here.lat, here.lon), (dest.lat, dest.lon), vessel.speed_kn, dest.place_id
        )
        legs.append(leg)
        return leg

    def stay(port: Port, until: float) -> None:
        legs.append(Leg("stay", legs[-1].t1, until, port.lat, port.lon, port.place_id))

    first = sail(najin, _t(5, 6))
    stay(najin, _t(11, 18))  # staged containers loaded 7-8 Sept
    sail(dunay, _t(11, 18))  # arrives 12 Sept
    stay(dunay, _t(17, 8))
    second = sail(najin, _t(17, 8))
    stay(najin, _t(21, 12))
    third = sail(dunay, _t(21, 12))
    stay(dunay, _t(25, 0))
    sail(vostochny, _t(25, 0))
    stay(vostochny, window[1] + 86400)
    return legs, (first, second, third)


def _plant_covert_crossing(
    planted: Planted,
    vessel: SimVessel,
    dark: tuple[float, float],
    najin: Port,
    dunay: Port,
    vostochny: Port,
) -> None:
    """The first crossing, not visible at all from before Najin until days after Dunay, and the
    draught change across it (light before, loaded after)."""
    off1, on1 = dark
    covert = TruthRow(
        planted.next_id("dark_voyage"),
        EventKind.DARK_VOYAGE,
        vessel.mmsi,
        utc(off1),
        utc(on1),
        place_id=dunay.place_id,
        attrs={
            "from": vostochny.place_id,
            "via": najin.place_id,
            "to": dunay.place_id,
            "reference_case": True,
        },
    )
    planted.pending.append(Pending(covert, "around", vessel.mmsi, off1, on1))
    draught = TruthRow(
        planted.next_id("draught_change"),
        EventKind.DRAUGHT_CHANGE,
        vessel.mmsi,
        covert.start,
        covert.end,
        attrs={"draught_before_m": LIGHT_DRAUGHT_M, "draught_after_m": LOADED_DRAUGHT_M},
    )
    planted.pending.append(Pending(draught, "around", vessel.mmsi, off1, on1))


def _plant_dark_crossing(planted: Planted, vessel: SimVessel, leg: Leg, dest: Port) -> None:
    """A later crossing: dark at sea, visible in port at both ends."""
    off, on = _dark_off_on(leg)
    row = TruthRow(
        planted.next_id("dark_voyage"),
        EventKind.DARK_VOYAGE,
        vessel.mmsi,
        utc(off),
        utc(on),
        place_id=dest.place_id,
        attrs={"to_place_id": dest.place_id},
    )
    planted.pending.append(Pending(row, "around", vessel.mmsi, off, on))


def _iso_z(t: float) -> str:
    """An epoch second as ISO 8601 UTC with a `Z`, as case files write times."""
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def _simulated_source(params: ScenarioParams) -> dict[str, Any]:
    """The source every simulated item cites: the simulator run, dated at the end of the run.

    Dating it at the end keeps the case honest about hindsight: nothing in it was known before
    the run's last day.
    """
    end = params.start.timestamp() + params.days * 86400
    return {
        "title": f"cargotrace simulator, scenario {params.scenario}, seed {params.seed}",
        "publisher": "cargotrace (simulated)",
        "date": datetime.fromtimestamp(end, UTC).date().isoformat(),
        "url": None,
    }


def _evidence_items(dunay_stay: Leg, staged: int, rail_shortfall: int) -> list[dict[str, Any]]:
    """Imagery at Najin (containers staged, then a ship alongside), at Dunay, and the rail sighting.

    `staged` containers are seen at Najin and `staged - rail_shortfall` leave Dunay by rail, so
    the case's quantities agree only roughly, as real counts from imagery do.
    """
    return [
        {
            "kind": "imagery",
            "place": "ct:najin",
            "observed": [_iso_z(_t(7, 1.5)), _iso_z(_t(7, 1.6))],
            "what": f"{staged} containers staged on the quay",
            "quantity": {"containers": staged},
            "vessel": None,
            "grading": "B2",
        },
        {
            "kind": "imagery",
            "place": "ct:najin",
            "observed": [_iso_z(_t(8, 1.5)), _iso_z(_t(8, 1.6))],
            "what": "cargo ship of ANGARA's size alongside the container quay, AIS silent",
            "vessel": None,
            "grading": "B2",
        },
        {
            "kind": "imagery",
            "place": "ct:dunay",
            "observed": [_iso_z(dunay_stay.t0 + 2 * HOUR), _iso_z(dunay_stay.t0 + 2.1 * HOUR)],
            "what": "ANGARA (IMO 9179842) at the Dunay pier, containers on the quay",
            "vessel": {"name": "ANGARA", "imo": ANGARA_IMO, "mmsi": None},
            "grading": "B2",
        },
        {
            "kind": "rail_sighting",
            "place": "ct:dunay",
            "observed": [_iso_z(dunay_stay.t0 + 30 * HOUR), _iso_z(dunay_stay.t0 + 40 * HOUR)],
            "what": "container flatcars leaving the Dunay pier westbound",
            "quantity": {"containers": staged - rail_shortfall},
            "vessel": None,
            "grading": "C3",
        },
    ]


def write_evidence(out_dir: Path, planted: Planted, params: ScenarioParams, version: str) -> Path:
    """The covert crossing's non-AIS evidence as a case file (docs/concepts/cases.md), simulated.

    Imagery at Najin and Dunay and a rail sighting at Dunay, every item marked `simulated` with
    a simulated source dated at the end of the run, so `cargotrace case build evidence.yaml
    --store S` reconstructs a shipment whose truth is known (truth.parquet).
    """
    ship = planted.reference
    assert ship is not None, "write_evidence needs plant_reference_case first"
    rng = random.Random(params.seed + 1)
    dunay_stay = next(leg for leg in ship.plan.legs if leg.place_id == "ct:dunay")
    source = _simulated_source(params)
    staged = rng.randrange(280, 321)  # drawn before the shortfall: the seed's order is the file's
    items = _evidence_items(dunay_stay, staged, rail_shortfall=rng.randrange(0, 20))
    doc = {
        "case": f"sim-{params.scenario}-seed-{params.seed}",
        "title": f"Simulated covert crossing Najin → Dunay ({params.scenario})",
        "cargo": {"description": "simulated shipping containers", "quantity":
                  {"containers": staged}},
        "simulated": True,
        "notes": f"Written by cargotrace {version}: every item is simulated; the ship's true "
                 "movements are in truth.parquet.",
        "evidence": [
            {"id": f"sim-ev-{i + 1:03d}", **item, "source": dict(source), "simulated": True}
            for i, item in enumerate(items)
        ],
    }
    path = out_dir / "evidence.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path
