"""Queries over `places`: name/alias look-up, `near` (haversine in DuckDB), the `places list` CLI.

Most tests run on the curated gazetteer shipped in the package (20 cited places around the 2023
Najin -> Dunay -> Tikhoretsk case); distances are checked against an independent Python
haversine.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cargotrace
from cargotrace.cli.app import app
from cargotrace.errors import NotFoundError, ParamsError
from cargotrace.geo.sphere import EARTH_RADIUS_KM
from cargotrace.ingest.gazetteers import load_curated_gazetteer, load_places
from cargotrace.store.places import (
    find_places,
    get_place,
    list_places,
    parse_lat_lon,
    places_near,
    upsert_places,
)

VLADIVOSTOK = (43.108889, 131.888333)  # WPI 60610


@pytest.fixture
def curated(tmp_store: cargotrace.Store) -> cargotrace.Store:
    load_curated_gazetteer(tmp_store)
    return tmp_store


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


# --- by name or alias -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "place_id"),
    [("Rason", "ct:najin"), ("RAJIN", "ct:najin"), ("rajin sonbong", "ct:najin"),
     ("kpnjn", "ct:najin"), ("KP RJN", "ct:najin"), ("Vostochnyy", "ct:vostochny"),
     ("istanbul bogazi", "ct:bosporus"), ("Friendship Bridge", "ct:khasan-tumangang"),
     ("Дунай", "ct:dunay"), ("tikhoretsk", "ct:tikhoretsk-depot")],
)
def test_aliases_resolve(curated: cargotrace.Store, text: str, place_id: str) -> None:
    assert find_places(curated, text)[0].place_id == place_id


def test_vostochny_is_the_port_near_nakhodka_not_the_cosmodrome(curated: cargotrace.Store) -> None:
    found = find_places(curated, "Vostochny")
    assert [p.place_id for p in found] == ["ct:vostochny"]
    port = found[0]
    assert (port.lat, port.lon) == (42.75, 133.083333)
    # The Vostochny Cosmodrome is in Amur oblast, ~51.9 N 128.3 E: over 1,000 km away.
    assert haversine_km(port.lat, port.lon, 51.9, 128.3) > 1000
    assert haversine_km(port.lat, port.lon, 42.8, 132.883333) < 20  # next to Nakhodka


def test_exact_name_ranks_before_alias_before_substring(tmp_store: cargotrace.Store,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "place_id,name,lat,lon,aliases\n"
        "c,Najin Sonbong Road,1,1,\n"
        "b,Rason,1,1,Najin\n"
        "a,Najin,1,1,\n"
        "d,Elsewhere,1,1,Old Najin pier\n",
        encoding="utf-8",
    )
    load_places(tmp_store, path)
    assert [p.place_id for p in find_places(tmp_store, "najin")] == ["a", "b", "c", "d"]
    assert find_places(tmp_store, "nothing like it") == []


def test_name_search_on_the_full_wpi(tmp_store: cargotrace.Store, shared_data: Path) -> None:
    load_places(tmp_store, shared_data / "ports" / "UpdatedPub150.csv")
    assert find_places(tmp_store, "RU VVO")[0].name == "Vladivostok"
    assert find_places(tmp_store, "RUVVO")[0].place_id == "wpi:60610"
    assert [p.place_id for p in find_places(tmp_store, "Rashin")] == ["wpi:60510"]


# --- near a point -----------------------------------------------------------------------------

def test_near_vladivostok(curated: cargotrace.Store) -> None:
    within_100 = places_near(curated, *VLADIVOSTOK, within_km=100)
    assert [m.place.place_id for m in within_100] == [
        "ct:vladivostok", "ct:dunay", "ct:nakhodka",
    ]
    # Vostochny is 105 km from Vladivostok's port in a straight line; Najin 162 km.
    within_110 = places_near(curated, *VLADIVOSTOK, within_km=110)
    distances = [(m.place.place_id, round(m.distance_km or 0.0, 1)) for m in within_110]
    assert distances == [
        ("ct:vladivostok", 0.0), ("ct:dunay", 44.5), ("ct:nakhodka", 88.0),
        ("ct:vostochny", 105.2),
    ]
    najin = get_place(curated, "ct:najin")
    assert round(haversine_km(*VLADIVOSTOK, najin.lat, najin.lon), 1) == 162.3


def test_sql_haversine_matches_python(curated: cargotrace.Store) -> None:
    origin = (42.88028, 132.3375)  # Dunay
    matches = places_near(curated, *origin, within_km=20_000)
    assert len(matches) == 22
    for m in matches:
        expected = haversine_km(*origin, m.place.lat, m.place.lon)
        assert m.distance_km == pytest.approx(expected, rel=1e-9, abs=1e-9), m.place.place_id
    assert [m.distance_km for m in matches] == sorted(m.distance_km or 0 for m in matches)


def test_filters_combine(curated: cargotrace.Store) -> None:
    crossings = list_places(curated, kind="border_crossing")
    assert [m.place.place_id for m in crossings] == ["ct:dandong-sinuiju", "ct:khasan-tumangang"]
    near_najin = list_places(curated, near=(42.233333, 130.3), within_km=50, name="bridge")
    assert [m.place.place_id for m in near_najin] == ["ct:khasan-tumangang"]
    assert len(list_places(curated)) == 22
    assert len(list_places(curated, limit=3)) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"within_km": 10.0}, "--km needs --near LAT,LON"),
     ({"near": (43.0, 131.0), "within_km": 0.0}, "--km: must be a positive number of km, not 0.0"),
     ({"near": (43.0, 131.0)}, "--km: must be a positive number of km, not None"),
     ({"near": (95.0, 131.0), "within_km": 5.0}, "--near: latitude 95.0 is outside -90..90"),
     ({"limit": 0}, "--limit: must be at least 1, not 0")],
)
def test_list_places_rejects_nonsense(curated: cargotrace.Store, kwargs: dict[str, object],
                                      message: str) -> None:
    with pytest.raises(ParamsError) as info:
        list_places(curated, **kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [("43.11,131.89", (43.11, 131.89)), (" -33.9 , 18.4 ", (-33.9, 18.4)), ("0,.5", (0.0, 0.5))],
)
def test_parse_lat_lon(text: str, expected: tuple[float, float]) -> None:
    assert parse_lat_lon(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("Vladivostok", "--near: cannot read 'Vladivostok' as LAT,LON; use decimal degrees, "
                     "latitude first, e.g. 43.11,131.89"),
     ("43.11 131.89", "--near: cannot read '43.11 131.89' as LAT,LON; use decimal degrees, "
                      "latitude first, e.g. 43.11,131.89"),
     ("131.89,43.11", "--near: latitude 131.89 is outside -90..90"),
     ("43.1,200", "--near: longitude 200.0 is outside -180..180")],
)
def test_parse_lat_lon_errors(text: str, message: str) -> None:
    with pytest.raises(ParamsError) as info:
        parse_lat_lon(text)
    assert str(info.value) == message


# --- writes -----------------------------------------------------------------------------------

def test_get_place_missing(curated: cargotrace.Store) -> None:
    with pytest.raises(NotFoundError) as info:
        get_place(curated, "ct:atlantis")
    assert str(info.value) == "no place 'ct:atlantis'; list places with `cargotrace places list`"


def test_upsert_replaces_by_place_id(curated: cargotrace.Store) -> None:
    dunay = get_place(curated, "ct:dunay")
    moved = type(dunay)(**{**dunay.to_dict(), "aliases": ("Dunai",), "radius_m": 2500.0})
    assert upsert_places(curated, [moved]) == 1
    assert get_place(curated, "ct:dunay") == moved
    assert curated.count("places") == 22
    assert upsert_places(curated, []) == 0


# --- CLI --------------------------------------------------------------------------------------

@pytest.fixture
def store_file(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "cli.duckdb"
    with cargotrace.open_store(path) as st:
        load_curated_gazetteer(st)
    yield str(path)


def test_cli_places_list_near(store_file: str) -> None:
    result = CliRunner().invoke(
        app, ["places", "list", "--near", "43.108889,131.888333", "--km", "110",
              "--store", store_file], env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "4 place(s)" in lines[0]
    assert [c.strip() for c in lines[2].strip("┃").split("┃")] == [
        "place_id", "name", "kind", "country", "lat", "lon", "radius_m", "distance_km",
    ]
    body = [[c.strip() for c in line.strip("│").split("│")] for line in lines[4:-1]]
    assert body == [
        ["ct:vladivostok", "Vladivostok", "seaport", "RU", "43.1089", "131.8883", "5,000", "0.0"],
        ["ct:dunay", "Dunay", "seaport", "RU", "42.8803", "132.3375", "4,000", "44.5"],
        ["ct:nakhodka", "Nakhodka", "seaport", "RU", "42.8000", "132.8833", "4,000", "88.0"],
        ["ct:vostochny", "Vostochny port", "seaport", "RU", "42.7500", "133.0833", "5,000",
         "105.2"],
    ]


def test_cli_places_list_by_name_as_json(store_file: str) -> None:
    result = CliRunner().invoke(app, ["places", "list", "--name", "Rason", "--json",
                                      "--store", store_file])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [d["place_id"] for d in doc] == ["ct:najin"]
    assert doc[0]["lat"] == 42.233333 and "distance_km" not in doc[0]


def test_cli_places_list_near_defaults_to_50_km(store_file: str) -> None:
    result = CliRunner().invoke(app, ["places", "list", "--near", "42.88,132.34", "--json",
                                      "--store", store_file])
    assert result.exit_code == 0, result.output
    assert [(d["place_id"], d["distance_km"] < 50) for d in json.loads(result.stdout)] == [
        ("ct:dunay", True), ("ct:vladivostok", True), ("ct:nakhodka", True),
    ]


def test_cli_places_list_bad_near(store_file: str) -> None:
    result = CliRunner().invoke(app, ["places", "list", "--near", "north", "--store", store_file])
    assert result.exit_code == 1
    assert isinstance(result.exception, ParamsError)
    assert str(result.exception) == (
        "--near: cannot read 'north' as LAT,LON; use decimal degrees, latitude first, "
        "e.g. 43.11,131.89"
    )


def test_cli_places_list_empty_store_hints(tmp_path: Path) -> None:
    cargotrace.open_store(tmp_path / "e.duckdb").close()
    result = CliRunner().invoke(app, ["places", "list", "--store", str(tmp_path / "e.duckdb")])
    assert result.exit_code == 0
    assert "0 place(s)" in result.stdout
    assert result.stderr == (
        "The store has no places yet: `cargotrace detect` adds the packaged world gazetteer; "
        "`cargotrace places load FILE` adds yours.\n"
    )
