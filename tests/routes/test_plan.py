"""Routes against the public record of the 2023 Najin -> Dunay -> Tikhoretsk shipment.

Anchors (White House NSC, 13 Oct 2023; RUSI, 16 Oct 2023): containers staged at Najin 7-8 Sept,
Angara arrived at Dunay 12 Sept, rail to the depot near Tikhoretsk by 1 Oct (19 days).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cargotrace.errors import NotFoundError, ParamsError
from cargotrace.routes import Route, plan_routes
from cargotrace.routes.network import RouteNetwork
from cargotrace.routes.output import routes_geojson, routes_json
from cargotrace.routes.params import RouteParams
from cargotrace.routes.place_book import PlaceBook

DAY_H = 24.0


def _plan(book: PlaceBook, network: RouteNetwork, origin: str, dest: str,
          **kw: object) -> list[Route]:
    return plan_routes(book, origin, dest, network=network, **kw)  # type: ignore[arg-type]


def test_najin_dunay_by_sea_takes_days_not_weeks(book: PlaceBook, network: RouteNetwork) -> None:
    best = _plan(book, network, "Najin", "Dunay", modes="sea", k=1)[0]
    assert [leg.mode for leg in best.legs] == ["sea"]
    assert 200 < best.distance_km < 400
    assert best.time.p90_h < 7 * DAY_H
    assert best.time.p10_h > 6


def test_dunay_tikhoretsk_by_rail_fits_19_days_and_stays_in_russia(
        book: PlaceBook, network: RouteNetwork) -> None:
    best = _plan(book, network, "Dunay", "Tikhoretsk", modes="rail", k=1)[0]
    assert best.countries == ("RU",)
    assert not best.crossings
    assert 8500 < best.distance_by_mode_km["rail"] < 10500
    observed_h = 19 * DAY_H  # 12 Sept -> 1 Oct 2023
    assert best.time.p50_h < observed_h < best.time.quantile(0.99)
    assert best.time.cdf(observed_h) > 0.5
    connector = best.legs[0]
    assert connector.mode == "road" and connector.note.startswith("explicit connector: Dunay")
    assert 30 < connector.distance_km < 80


def test_suez_is_weeks_longer_than_sea_plus_trans_siberian(
        book: PlaceBook, network: RouteNetwork) -> None:
    by_sea = _plan(book, network, "Najin", "Novorossiysk", modes="sea", k=1)[0]
    routes = _plan(book, network, "Najin", "Novorossiysk", k=5)
    chain = next(r for r in routes if [leg.mode for leg in r.legs] == ["sea", "rail"])
    assert "Suez Canal" in by_sea.chokepoints and "Bab-el-Mandeb" in by_sea.chokepoints
    assert routes[0].time.mean_h <= chain.time.mean_h
    assert by_sea.time.p50_h - chain.time.p50_h > 14 * DAY_H
    assert by_sea.interdiction["international_waters_h"] > 10 * DAY_H


def test_rajin_vladivostok_by_rail_crosses_at_khasan_with_gauge_change(
        book: PlaceBook, network: RouteNetwork) -> None:
    best = _plan(book, network, "Rajin", "Vladivostok", modes="rail", k=1)[0]
    (crossing,) = best.crossings
    assert crossing.crossing_id == "khasan-tumangang"
    assert crossing.gauge_change and {crossing.gauge_a_mm, crossing.gauge_b_mm} == {1435, 1520}
    assert 300 < best.distance_km < 450
    assert any(s.kind == "border" for s in best.legs[0].stops)


def test_avoid_china_is_honoured(book: PlaceBook, network: RouteNetwork) -> None:
    routes = _plan(book, network, "Dunay", "Tikhoretsk", k=5)
    assert any("CN" in r.countries for r in routes)  # without --avoid China is an option
    avoided = _plan(book, network, "Dunay", "Tikhoretsk", avoid=["China"], k=5)
    assert avoided and all("CN" not in r.countries for r in avoided)


def test_routes_are_distinct_and_ordered(book: PlaceBook, network: RouteNetwork) -> None:
    routes = _plan(book, network, "Najin", "Novorossiysk", k=4)
    assert len(routes) == 4
    assert [r.rank for r in routes] == [1, 2, 3, 4]
    assert len({r.summary + str([c.crossing_id for c in r.crossings]) for r in routes}) == 4
    means = [r.time.mean_h for r in routes]
    assert means == sorted(means)


@pytest.mark.parametrize("alias", ["Rajin", "Rason", "rajin-sonbong", "KP RJN"])
def test_aliases_resolve_to_najin(book: PlaceBook, alias: str) -> None:
    assert book.resolve(alias).place_id == "ct:najin"


def test_unknown_place_is_a_clear_error(book: PlaceBook, network: RouteNetwork) -> None:
    with pytest.raises(NotFoundError, match="no place named 'Atlantis'"):
        _plan(book, network, "Atlantis", "Dunay")


@pytest.mark.parametrize(("typo", "meant"), [("Najn", "Najin"), ("Vladivostock", "Vladivostok"),
                                             ("Tikhoresk", "Tikhoretsk")])
def test_unknown_place_suggests_the_closest_names(book: PlaceBook, typo: str, meant: str) -> None:
    with pytest.raises(NotFoundError) as info:
        book.resolve(typo)
    assert str(info.value).startswith(f"no place named {typo!r} (did you mean {meant}")
    # the suggestion is a real name or alias of a place
    assert meant in {n for p in book.places for n in (p.name, *p.aliases)}


def test_a_name_like_nothing_suggests_nothing(book: PlaceBook) -> None:
    with pytest.raises(NotFoundError) as info:
        book.resolve("Atlantis")
    assert "did you mean" not in str(info.value)


def test_suggestions_come_from_the_stores_gazetteer(shared_data: Path, tmp_path: Path) -> None:
    """A World Port Index port in the store is suggested; its name read with `csv` here."""
    import csv

    from typer.testing import CliRunner

    import cargotrace
    from cargotrace.cli.app import app
    from cargotrace.ingest.gazetteers import load_places

    wpi = shared_data / "ports" / "UpdatedPub150.csv"
    with wpi.open(encoding="utf-8-sig", newline="") as fh:
        names = {row["Main Port Name"] for row in csv.DictReader(fh)}
    assert "Rotterdam" in names and "Roterdam" not in names
    store = tmp_path / "s.duckdb"
    with cargotrace.open_store(store) as st:
        load_places(st, wpi)
        with pytest.raises(NotFoundError, match=r"^no place named 'Roterdam' \(did you mean "
                                                r"Rotterdam[ ,?]"):
            PlaceBook.from_store(st).resolve("Roterdam")
    listed = CliRunner().invoke(app, ["places", "list", "--name", "Roterdam", "--store",
                                      str(store)])
    assert listed.exit_code == 0 and "0 place(s)" in listed.stdout
    assert listed.stderr.startswith("No place named like 'Roterdam' (did you mean Rotterdam")


def test_ambiguous_place_lists_candidates(book: PlaceBook) -> None:
    with pytest.raises(ParamsError, match=r"'Bandar' is ambiguous: .*ct:bandar-abbas"):
        book.resolve("Bandar")


def test_json_and_geojson_contracts(book: PlaceBook, network: RouteNetwork) -> None:
    routes = _plan(book, network, "Najin", "Dunay", k=2)
    doc = routes_json(routes, RouteParams())
    assert isinstance(doc, list) and [r["rank"] for r in doc] == [1, 2]
    for r in doc:  # each route credits the sources of its own legs
        modes = {leg["mode"] for leg in r["legs"]}
        assert ("rail" in modes) == any("OpenStreetMap" in a for a in r["attribution"])
        assert bool(modes & {"sea", "ferry"}) == any("MARNET" in a for a in r["attribution"])
    leg = doc[0]["legs"][0]
    assert {"from", "to", "mode", "distance_km", "p10_h", "p50_h", "p90_h", "chokepoints",
            "countries"} <= set(leg)
    assert {"distance_km", "p10_h", "p50_h", "p90_h", "legs"} <= set(doc[0])
    geo = routes_geojson(routes)
    assert geo["type"] == "FeatureCollection"
    for feature in geo["features"]:
        assert feature["geometry"]["type"] in ("LineString", "MultiLineString")
        for lon, lat in feature["geometry"]["coordinates"]:
            assert -180 <= lon <= 180 and -90 <= lat <= 90


def test_issue_21_rail_alternatives_name_the_third_countries_they_cross(
        book: PlaceBook, network: RouteNetwork) -> None:
    """README: `cargotrace route Dunay Tikhoretsk --modes rail`: the fastest stays in Russia,
    the alternatives go through China, and the table says which and where. The expected third
    countries are read from the curated crossings file here, not from the route's countries."""
    import csv
    from importlib import resources

    from rich.console import Console

    from cargotrace.cli.commands.route import routes_table

    table = resources.files("cargotrace").joinpath("data", "route_crossings.csv").read_text(
        "utf-8")
    sides = {r["crossing_id"]: {r["country_a"], r["country_b"]}
             for r in csv.DictReader(table.splitlines())}
    routes = _plan(book, network, "Dunay", "Tikhoretsk", modes="rail", k=5)
    assert len(routes) >= 3
    for r in routes:
        expected = set().union(*(sides[c.crossing_id] for c in r.crossings)) - {"RU"}
        assert set(r.transit.third_countries) == expected, r.summary
        assert r.to_dict()["transit"]["third_countries"] == list(r.transit.third_countries)
    assert routes[0].transit.within == "RU" and routes[0].transit.summary == "within Russia"
    via_china = [r for r in routes if "CN" in r.transit.third_countries]
    assert via_china and all(r.transit.summary == "via China" for r in via_china)
    console = Console(width=250, record=True)
    console.print(routes_table(routes))
    text = console.export_text()
    assert text.count("within Russia") == sum(1 for r in routes if r.transit.within == "RU")
    assert text.count("via China") == len(via_china)
