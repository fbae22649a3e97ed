"""The campaign scenario: several ships shuttling between Najin and Dunay for months, some trips
dark, imagery of a share of them, and official-looking claims derived from the planted truth.

Why: `cargotrace campaign build` turns trips x capacity into volume bands and tests claims
against them; on real data nobody knows the true count. Here every delivery is planted, so
`cargotrace campaign evaluate` can score the trips the pipeline recovers (simulate -> ingest ->
detect (port visits, possible dark port calls, shuttles) -> campaign build with the store) and
check that the true volume falls inside the estimate's P10-P90 band.

What is planted (all from the scenario's seed):
- `CampaignSimParams.ships` ships, each loading at Najin, sailing to Dunay, unloading, sailing
  back, over and over (stays drawn between the `*_stay_h` bounds);
- a share (`dark_trip_fraction`) of the deliveries is dark: transponder off from 20 km before
  Dunay until 20 km after leaving it (the call itself is never heard: a possible dark port
  call, as `plant_dark_port_calls` plants them); the tracker writes their gap and dark-call
  truth from `ais_off`;
- each ship's true capacity, and each delivery's true load factor (drawn from the default load
  factor's triangular distribution); truth rows of kind `campaign_trip` (one per delivery:
  departure, arrival, load) and one `shuttle` row for the group;
- `campaign.yaml` beside the output (`simulated: true`): the ships (name, IMO, MMSI), their
  capacity as an analyst would state it from imagery counts (a range around the truth, its
  mode off by up to `capacity_noise_fraction`), imagery sightings of a share of the deliveries
  (`imagery_fraction`) as evidence and trips entries, and claims of the cumulative volume at
  a few dates (the truth times a normal noise of `claim_noise_fraction`).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from cargotrace.cases.campaign.params import CampaignParams
from cargotrace.detect.kinds import EventKind
from cargotrace.sim.behaviours import DARK_CALL_KM, HOUR, Planted
from cargotrace.sim.fleet import SimVessel
from cargotrace.sim.params import CampaignSimParams, ScenarioParams
from cargotrace.sim.plan import Leg, Plan, Port, transit_leg
from cargotrace.sim.ships import SimShip
from cargotrace.sim.truth import CAMPAIGN_TRIP, TruthRow, utc

__all__ = ["campaign_trips", "plant_campaign", "write_campaign_file"]

ORIGIN, DESTINATION = "ct:najin", "ct:dunay"
NAMES = ("SIM ANGARA", "SIM MARIA", "SIM LADOGA", "SIM PEGAS", "SIM OKHOTSK", "SIM SVIR")


def _imo(base: int) -> int:
    """A 7-digit IMO number with a right check digit (the campaign check warns otherwise)."""
    digits = [int(c) for c in f"{base:06d}"]
    check = sum(d * w for d, w in zip(digits, (7, 6, 5, 4, 3, 2), strict=True)) % 10
    return base * 10 + check


def _vessel(rng: random.Random, vessel_id: int, n: int) -> SimVessel:
    length = rng.randrange(95, 131)
    return SimVessel(
        vessel_id=vessel_id, mmsi=273000000 + rng.randrange(100000, 999999),
        imo=_imo(rng.randrange(910000, 980000)), name=NAMES[n % len(NAMES)],
        callsign=f"UB{rng.randrange(1000, 9999)}", flag="RU", ship_type=70, kind="cargo",
        transceiver="A", speed_kn=round(rng.uniform(10.5, 13.0), 1), length_m=length,
        beam_m=round(length / 6.2), draught_m=4.8)


def _plan(vessel: SimVessel, window: tuple[float, float], najin: Port, dunay: Port,
          p: CampaignSimParams, rng: random.Random) -> list[Leg]:
    """Najin (load) -> Dunay (unload) -> Najin ... from the window's start (staggered) until
    a round trip no longer fits before its end; then at Najin to the end."""
    t = window[0] + rng.uniform(0, p.najin_stay_h[1]) * HOUR
    legs = [Leg("stay", window[0] - 2 * 86400, t, najin.lat, najin.lon, najin.place_id)]
    while True:
        stay_n = rng.uniform(*p.najin_stay_h) * HOUR
        stay_d = rng.uniform(*p.dunay_stay_h) * HOUR
        out = transit_leg(t + stay_n if len(legs) > 1 else t, (najin.lat, najin.lon),
                          (dunay.lat, dunay.lon), vessel.speed_kn, dunay.place_id)
        back = transit_leg(out.t1 + stay_d, (dunay.lat, dunay.lon), (najin.lat, najin.lon),
                           vessel.speed_kn, najin.place_id)
        if back.t1 > window[1] - 86400:
            break
        if len(legs) > 1:
            legs.append(Leg("stay", t, out.t0, najin.lat, najin.lon, najin.place_id))
        legs += [out, Leg("stay", out.t1, back.t0, dunay.lat, dunay.lon, dunay.place_id), back]
        t = back.t1
    legs.append(Leg("stay", t, window[1] + 86400, najin.lat, najin.lon, najin.place_id))
    return legs


def _dark(ship: SimShip, inbound: Leg, outbound: Leg) -> None:
    """Transponder off from DARK_CALL_KM before Dunay to as far after leaving it."""
    assert inbound.route is not None and inbound.profile_km is not None
    assert inbound.profile_s is not None and outbound.profile_km is not None
    assert outbound.profile_s is not None
    off = inbound.t0 + float(np.interp(inbound.route.length_km - DARK_CALL_KM,
                                       inbound.profile_km, inbound.profile_s))
    on = outbound.t0 + float(np.interp(DARK_CALL_KM, outbound.profile_km, outbound.profile_s))
    ship.ais_off.append((off, on))


def plant_campaign(window: tuple[float, float], ports: list[Port], planted: Planted,
                   rng: random.Random, first_id: int,
                   params: CampaignSimParams | None = None) -> list[SimShip]:
    """The shuttling ships, their dark deliveries, and the truth (module docstring)."""
    p = params or CampaignSimParams()
    by_id = {port.place_id: port for port in ports}
    najin, dunay = by_id[ORIGIN], by_id[DESTINATION]
    load = CampaignParams()
    ships = []
    for n in range(p.ships):
        vessel = _vessel(rng, first_id + n, n)
        capacity = rng.randrange(*p.capacity_range)
        ship = SimShip(vessel, Plan(vessel.vessel_id, _plan(vessel, window, najin, dunay, p,
                                                            rng)))
        legs = ship.plan.legs
        for i, leg in enumerate(legs):
            if leg.kind != "transit" or leg.end_place_id != DESTINATION:
                continue
            # never the first or last delivery: the shuttle's ends stay seen
            dark = 1 < i < len(legs) - 4 and rng.random() < p.dark_trip_fraction
            if dark:
                _dark(ship, leg, legs[i + 2])
            factor = rng.triangular(load.load_low_fraction, load.load_high_fraction,
                                    load.load_mode_fraction)
            planted.truth.append(TruthRow(
                planted.next_id(CAMPAIGN_TRIP), CAMPAIGN_TRIP, vessel.mmsi, utc(leg.t0),
                utc(leg.t1), place_id=DESTINATION,
                attrs={"from": ORIGIN, "to": DESTINATION, "dark": dark,
                       "capacity": capacity, "load_factor": round(factor, 4),
                       "load": round(capacity * factor, 2), "imo": vessel.imo,
                       "name": vessel.name, "dunay_stay_end": utc(legs[i + 1].t1).isoformat()}))
        ships.append(ship)
    trips = [r for r in planted.truth if r.kind == CAMPAIGN_TRIP]
    mmsis = sorted(s.vessel.mmsi for s in ships)
    planted.truth.append(TruthRow(
        planted.next_id(EventKind.SHUTTLE), EventKind.SHUTTLE, mmsis[0],
        min(r.start for r in trips), max(r.end or r.start for r in trips),
        other_mmsi=mmsis[1] if len(mmsis) > 1 else None,
        attrs={"places": [ORIGIN, DESTINATION], "vessels": mmsis, "trips": 2 * len(trips)}))
    return ships


def campaign_trips(truth: list[TruthRow]) -> list[TruthRow]:
    return sorted((r for r in truth if r.kind == CAMPAIGN_TRIP), key=lambda r: r.end or r.start)


def _day(t: datetime) -> str:
    return t.date().isoformat()


def _claims(trips: list[TruthRow], start: datetime, end: datetime, p: CampaignSimParams,
            rng: random.Random, source: dict[str, Any]) -> list[dict[str, Any]]:
    """Claims of the cumulative volume at evenly spaced dates: the truth with noise."""
    out = []
    for k in range(1, p.claims + 1):
        by = start + (end - start) * k / p.claims - timedelta(days=1)
        true = sum(r.attrs["load"] for r in trips if (r.end or r.start) < by + timedelta(days=1))
        if true <= 0:
            continue
        quantity = max(10, round(true * (1 + rng.gauss(0, p.claim_noise_fraction)), -1))
        out.append({
            "id": f"sim-claim-{k}", "quantity": quantity, "qualifier": "about",
            "by": _day(by), "statement": f"about {quantity:,.0f} containers delivered by "
            f"{by:%d %B %Y} (simulated figure: the true volume with noise)",
            "source": {**source, "date": _day(by)}, "grading": "B2"})
    return out


def write_campaign_file(out_dir: Path, planted: Planted, params: ScenarioParams,
                        sim: CampaignSimParams | None = None) -> Path:
    """`campaign.yaml` (docs/reference/campaign-file.md), `simulated: true` (module docstring).
    Drawn from its own generator (seed + 2), so the AIS files do not depend on it."""
    p = sim or CampaignSimParams()
    rng = random.Random(params.seed + 2)
    trips = campaign_trips(planted.truth)
    start = params.start
    end = start + timedelta(days=params.days)
    source = {"title": f"cargotrace simulator, scenario {params.scenario}, seed {params.seed}",
              "publisher": "cargotrace (simulated)", "date": _day(end), "url": None}
    vessels: list[dict[str, Any]] = []
    seen: dict[int | None, str] = {}
    for r in trips:
        if r.mmsi in seen:
            continue
        vid = f"v{len(seen) + 1}"
        seen[r.mmsi] = vid
        cap = float(r.attrs["capacity"])
        mode = round(cap * rng.uniform(1 - p.capacity_noise_fraction,
                                       1 + p.capacity_noise_fraction))
        vessels.append({"id": vid, "name": r.attrs["name"], "imo": r.attrs["imo"],
                        "mmsi": r.mmsi, "capacity": {
                            "low": round(mode * 0.75), "mode": mode, "high": round(mode * 1.3),
                            "basis": "containers counted on simulated imagery of one load, "
                                     "-25 % / +30 % for the count's uncertainty"}})
    evidence: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for r in trips:
        if rng.random() >= p.imagery_fraction:
            continue
        arrived = r.end or r.start
        seen_at = arrived + timedelta(hours=rng.uniform(2, 12))
        eid = f"sim-img-{len(evidence) + 1:03d}"
        evidence.append({
            "id": eid, "kind": "imagery", "place": "Dunay",
            "observed": [seen_at.isoformat().replace("+00:00", "Z"),
                         (seen_at + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")],
            "what": f"{r.attrs['name']} (IMO {r.attrs['imo']}) at the Dunay pier, containers "
                    "on the quay", "vessel": {"name": r.attrs["name"], "imo": r.attrs["imo"],
                                              "mmsi": None},
            "source": dict(source), "grading": p.imagery_grading, "simulated": True})
        # the arrival happened on the day before the image at the earliest
        entries.append({"id": f"sim-trip-{len(entries) + 1:03d}", "corridor": "najin-dunay",
                        "vessels": [seen[r.mmsi]],
                        "period": [_day(seen_at - timedelta(days=1)), _day(seen_at)],
                        "evidence": [eid]})
    doc = {
        "campaign": f"sim-campaign-seed-{params.seed}",
        "title": f"Simulated shuttle campaign Najin → Dunay (seed {params.seed})",
        "unit": "containers", "start": _day(start), "simulated": True,
        "notes": "Written by the cargotrace simulator: every vessel, trip, sighting and claim "
                 "is simulated; the truth is in truth.parquet (kind campaign_trip).",
        "vessels": vessels,
        "corridors": [{"id": "najin-dunay", "from": "Najin", "to": "Dunay", "mode": "sea",
                       "vessels": [v["id"] for v in vessels], "min_round_trip_d": 2,
                       "basis": "simulated: about 8 h sailing each way and a day in each port"}],
        "trips": entries, "evidence": evidence,
        "claims": _claims(trips, start, end, p, rng, source),
    }
    path = out_dir / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    (out_dir / "campaign_sim.json").write_text(
        json.dumps(asdict(p), indent=2) + "\n")
    return path
