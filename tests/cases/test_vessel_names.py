"""Issue 15: a vessel the evidence names without an IMO ("LADY R") is resolved against the
loaded lists and the store, and the leg says which listed ship it probably is.

The case is the Lady R at Simon's Town naval base in December 2022, from contemporary reports.
The store holds the real OFAC SDN list of 3 May 2024 (../shared/data/sanctions) and a short AIS
track of a Russian-flagged (MID 273) cargo ship broadcasting the name LADY R without an IMO
south of Cape Agulhas on 5 Dec 2022 (the position the Daily Maverick reported as its last AIS
fix; the MMSI and the exact positions are constructed for the test).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import cargotrace
from cargotrace.cases import build_case
from cargotrace.cases.load import parse_case
from cargotrace.cli.app import app
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.screen.lists import load_list

OFAC = "sanctions/ofac_sdn_2024-05-03.csv"
MMSI = 273310000  # constructed; 273 is Russia's MID
HEADER = ["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO",
          "CallSign", "VesselType", "Status", "Length", "Width", "Draft", "Cargo",
          "TransceiverClass"]
DAILY_MAVERICK = {
    "title": "Docking in the dark — Sanctioned Russian ship drops anchor at Simon's Town Naval "
             "Base", "publisher": "Daily Maverick", "date": "2022-12-07",
    "url": "https://www.dailymaverick.co.za/article/2022-12-07-docking-in-the-dark-sanctioned-"
           "russian-ship-drops-anchor-at-simons-town-naval-base/"}
DEFENCEWEB = {
    "title": "Unexpected arrival of Russian ship in Simon's Town raises eyebrows",
    "publisher": "defenceWeb", "date": "2022-12-08",
    "url": "https://www.defenceweb.co.za/featured/unexpected-arrival-of-russian-ship-in-simons-"
           "town-raises-eyebrows/"}
SIMONS_TOWN = {"name": "Naval Base Simon's Town", "lat": -34.18306, "lon": 18.43306,
               "kind": "naval_base"}  # Wikipedia 'Naval Base Simon's Town'


def lady_r_case() -> dict[str, Any]:
    lady_r = {"name": "LADY R", "imo": None, "mmsi": None}
    return {
        "case": "lady-r-simons-town-2022", "title": "The Lady R at Simon's Town",
        "cargo": {"description": "undisclosed cargo"},
        "evidence": [
            {"id": "lady-r-agulhas", "kind": "ais_event",
             "place": {"name": "last AIS position south of Cape Agulhas", "lat": -35.2,
                       "lon": 20.0, "kind": "anchorage"},
             "observed": ["2022-12-05T12:41:00Z", "2022-12-05T12:41:00Z"],
             "what": "LADY R's last AIS position before Simon's Town, 14:41 SAST on 5 Dec "
                     "(reported by MarineTraffic and VesselFinder; the coordinates are "
                     "approximate)", "vessel": lady_r, "source": DAILY_MAVERICK,
             "grading": "B2"},
            {"id": "lady-r-simons-town", "kind": "media_report", "place": SIMONS_TOWN,
             "observed": ["2022-12-06T18:00:00Z", "2022-12-06T20:00:00Z"],
             "what": "the Russian ro-ro LADY R docked at Simon's Town naval base between 20:00 "
                     "and 22:00 SAST on Tuesday 6 Dec, AIS off", "vessel": lady_r,
             "source": DAILY_MAVERICK, "grading": "B2"},
            {"id": "lady-r-high-in-water", "kind": "media_report", "place": SIMONS_TOWN,
             "observed": "2022-12-08", "what": "LADY R riding high in the water at Simon's "
             "Town, reported en route from Douala to Dar es Salaam", "vessel": lady_r,
             "source": DEFENCEWEB, "grading": "B2"},
        ]}


def _ais(path: Path) -> Path:
    start = datetime(2022, 12, 5, 11, 0, tzinfo=UTC)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for k in range(0, 21):  # 100 minutes, heading west at 11 kn
            t = start + timedelta(minutes=5 * k)
            writer.writerow([MMSI, t.strftime("%Y-%m-%dT%H:%M:%S"), -35.2,
                             round(20.3 - k * 0.0183, 5), 11.0, 270.0, 270, "LADY R", "",
                             "UBXX9", 70, 0, 120, 20, 5.0, "", "A"])
    return path


@pytest.fixture(scope="module")
def lady_r_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    folder = tmp_path_factory.mktemp("lady_r")
    path = folder / "s.duckdb"
    with cargotrace.open_store(path) as store:
        load_list(store, shared_data / OFAC, "ofac", as_of=date(2024, 5, 3))
        ingest_file(store, _ais(folder / "lady_r.csv"))
    return path


@pytest.fixture
def store(lady_r_store: Path) -> Iterator[cargotrace.Store]:
    with cargotrace.open_store(lady_r_store, read_only=True) as st:
        yield st


def test_lady_r_is_in_the_real_list(shared_data: Path) -> None:
    with (shared_data / OFAC).open(encoding="latin-1") as handle:
        rows = [r for r in csv.reader(handle) if len(r) > 1 and r[1] == "LADY R"]
    assert len(rows) == 1 and "IMO 9161003" in rows[0][11] and rows[0][9] == "Russia"
    assert rows[0][6] == "Roll-on Roll-off"


def test_issue_15_name_only_vessel_resolves_to_the_listed_ship(
        store: cargotrace.Store) -> None:
    flag, types = store.con.execute(
        "SELECT mmsi // 1000000, list(DISTINCT ship_type) FROM vessel_reports "
        "WHERE name = 'LADY R' GROUP BY ALL").fetchone() or (None, None)
    assert flag == 273 and types == [70]  # independently: Russian MID, AIS cargo type
    result = build_case(parse_case(lady_r_case()), store).to_dict()
    (named,) = result["vessels"]
    assert named["in_store_mmsis"] == [MMSI]
    resolution = named["resolution"]
    assert resolution["status"] == "probable" and resolution["imo"] == 9161003
    assert resolution["message"] == ("probably the OFAC-listed LADY R, IMO 9161003 (name only, "
                                     "same type and flag); confirm the IMO")
    assert named["sanctioned"] is False  # a name never confirms a listing
    best = result["hypotheses"][0]
    (leg,) = best["legs"]
    assert leg["mode"] == "sea" and leg["to"] == "Naval Base Simon's Town"
    assert leg["vessel"]["resolution"] == resolution
    assert "probably the OFAC-listed LADY R, IMO 9161003" in leg["explanation"]
    assert result["carriers"][0]["mode"] == "sea"
    # the stay: arrival bounded by the first sighting (6 Dec), not the 8 Dec one
    assert leg["arrive"]["to"] == "2022-12-06T20:00:00Z"


def test_cli_prints_the_resolution(lady_r_store: Path, tmp_path: Path) -> None:
    case = tmp_path / "lady-r.yaml"
    case.write_text(json.dumps(lady_r_case()))  # JSON is YAML
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(lady_r_store.read_bytes())
    done = CliRunner().invoke(app, ["case", "build", str(case), "--store", str(copy)])
    assert done.exit_code == 0, done.output
    assert ("vessel LADY R: probably the OFAC-listed LADY R, IMO 9161003 (name only, same type "
            "and flag); confirm the IMO") in done.output


def test_report_shows_the_resolution_on_the_leg(store: cargotrace.Store, tmp_path: Path) -> None:
    from cargotrace.publish.report import write_report

    case = tmp_path / "lady-r.yaml"
    case.write_text(json.dumps(lady_r_case()))
    report = write_report(case, tmp_path / "out", store)
    html = report.html_path.read_text(encoding="utf-8")
    table = html[html.index('id="hypotheses-table"'):]
    table = table[: table.index("</table>")]
    assert ("probably the OFAC-listed LADY R, IMO 9161003 (name only, same type and flag); "
            "confirm the IMO") in table
