"""Loading gazetteers into `places`: the real WPI and searoute files, hand-written CSVs, bad rows.

Real files: ../shared/data/ports/ (see PROVENANCE.md there): NGA World Port Index
UpdatedPub150.csv (3,814 rows) and searoute 1.6.0 ports.geojson (3,962 Point features).
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cargotrace
from cargotrace.cli.app import app
from cargotrace.errors import ParamsError, UnreadableInputError
from cargotrace.ingest.gazetteers import (
    PlaceFormat,
    PlaceKind,
    SkipReason,
    load_curated_gazetteer,
    load_places,
)
from cargotrace.store.place_codes import country_iso2, locode_forms
from cargotrace.store.places import Place, get_place

WPI_SOURCE = "NGA World Port Index (Pub. 150), UpdatedPub150.csv"


@pytest.fixture(scope="module")
def wpi(shared_data: Path) -> Path:
    return shared_data / "ports" / "UpdatedPub150.csv"


@pytest.fixture(scope="module")
def searoute(shared_data: Path) -> Path:
    return shared_data / "ports" / "searoute_ports.geojson"


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


# --- NGA World Port Index ---------------------------------------------------------------------

def test_wpi_loads_every_port_and_reports_its_two_duplicate_numbers(
    tmp_store: cargotrace.Store, wpi: Path
) -> None:
    summary = load_places(tmp_store, wpi)
    assert summary.format is PlaceFormat.WPI  # auto-detected from the header
    assert summary.rows_read == 3814
    # WPI lists Machilipatnam (49460) and Seydisfjordur (400) twice: the first row is kept.
    assert [(s.row, s.reason, s.detail) for s in summary.skipped] == [
        (1311, SkipReason.DUPLICATE_PLACE_ID, "wpi:49460 repeats an earlier row"),
        (3701, SkipReason.DUPLICATE_PLACE_ID, "wpi:400 repeats an earlier row"),
    ]
    assert (summary.loaded, summary.inserted, summary.replaced) == (3812, 3812, 0)
    assert tmp_store.count("places") == 3812
    assert summary.unmapped_countries == {}


def test_wpi_najin_and_vladivostok(tmp_store: cargotrace.Store, wpi: Path) -> None:
    load_places(tmp_store, wpi)
    najin = get_place(tmp_store, "wpi:60510")
    assert najin == Place(
        place_id="wpi:60510", name="Najin", aliases=("Rashin", "KP RJN", "KPRJN"), country="KP",
        kind="seaport", lat=42.233333, lon=130.3, radius_m=3000.0, watch_reason=None,
        source=WPI_SOURCE,
    )
    vladivostok = get_place(tmp_store, "wpi:60610")
    assert vladivostok.aliases == ("RU VVO", "RUVVO")
    assert (round(vladivostok.lat, 4), round(vladivostok.lon, 4)) == (43.1089, 131.8883)
    # Fractional WPI numbers are ids of their own, not duplicates of the integer one.
    assert get_place(tmp_store, "wpi:49454.5").name == "Kattupalli Port"


@pytest.mark.parametrize(
    ("place_id", "iso2"),
    [
        ("wpi:60510", "KP"),  # North Korea
        ("wpi:60610", "RU"),  # Russia
        ("wpi:45003", "SY"),  # Syria
        ("wpi:45140", "EG"),  # Egypt
        ("wpi:48520", "IR"),  # Iran
        ("wpi:43420", "TR"),  # Turkey
        ("wpi:49685", "MM"),  # "Burma"
        ("wpi:46008", "CI"),  # "Cote D'Ivoire"
        ("wpi:46510", "CD"),  # "Congo (Kinshasa)"
        ("wpi:10010", "BS"),  # "The Bahamas"
        ("wpi:46691", "SH"),  # "Saint Helena, Ascension, and Tristan da Cunha"
        ("wpi:56330", "UM"),  # "Wake Island"
    ],
)
def test_wpi_country_names_map_to_iso2(
    tmp_store: cargotrace.Store, wpi: Path, place_id: str, iso2: str
) -> None:
    load_places(tmp_store, wpi)
    assert get_place(tmp_store, place_id).country == iso2


def test_wpi_country_mapping_agrees_with_un_locode(tmp_store: cargotrace.Store, wpi: Path) -> None:
    """An independent check of the name table: a UN/LOCODE starts with the ISO2 country code.

    3,349 WPI rows have a UN/LOCODE: 5 are partial ("LB", "CL", ...) and give no alias, and one
    is on a skipped duplicate row. The 8 disagreements among the other 3,343 are WPI's own
    (e.g. a US port coded RULED, St Barthelemy BL filed under Guadeloupe), not mapping errors.
    """
    load_places(tmp_store, wpi)
    rows = tmp_store.con.execute(
        "SELECT place_id, country, a FROM (SELECT place_id, country, unnest(aliases) AS a "
        "FROM places) WHERE regexp_full_match(a, '[A-Z]{2}[A-Z0-9]{3}')"
    ).fetchall()
    assert len(rows) == 3343
    disagree = sorted((pid, country, code) for pid, country, code in rows if code[:2] != country)
    assert disagree == [
        ("wpi:10978", "DO", "COAMB"), ("wpi:11380", "GP", "BLGUS"), ("wpi:3770", "CA", "GBTOB"),
        ("wpi:4210", "CA", "BSCBT"), ("wpi:45809", "EH", "MAEUN"), ("wpi:46340", "GQ", "GCCOG"),
        ("wpi:62118", "JP", "JBHBI"), ("wpi:8680", "US", "RULED"),
    ]


def test_reloading_wpi_replaces_and_adds_no_rows(tmp_store: cargotrace.Store, wpi: Path) -> None:
    load_places(tmp_store, wpi)
    again = load_places(tmp_store, wpi)
    assert (again.loaded, again.inserted, again.replaced) == (3812, 0, 3812)
    assert tmp_store.count("places") == 3812


def test_wpi_format_forced_on_a_plain_csv_says_what_is_missing(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ports.csv", ["name", "lat", "lon"], [["A", "1", "2"]])
    with cargotrace.open_store(tmp_path / "s.duckdb") as store, pytest.raises(
        UnreadableInputError
    ) as info:
        load_places(store, path, PlaceFormat.WPI)
    assert str(info.value) == (
        f"{path}: not a World Port Index CSV (no 'World Port Index Number' column; found: "
        "name, lat, lon); pass --format csv or --format geojson"
    )


# --- GeoJSON ----------------------------------------------------------------------------------

def test_searoute_geojson_loads_every_feature(tmp_store: cargotrace.Store, searoute: Path) -> None:
    summary = load_places(tmp_store, searoute)
    assert summary.format is PlaceFormat.GEOJSON
    assert (summary.rows_read, summary.loaded, len(summary.skipped)) == (3962, 3962, 0)
    # searoute's "Netherlands_antilles" (code withdrawn in 2010) and "Somaliland" have no ISO2.
    assert summary.unmapped_countries == {"Netherlands_antilles": 8, "Somaliland": 3}
    najin = get_place(tmp_store, "searoute_ports:KPNJN")
    assert (najin.name, najin.country, najin.aliases) == ("Najin", "KP", ("KP NJN", "KPNJN"))
    assert (najin.lat, najin.lon, najin.kind) == (42.2333, 130.3, "unknown")
    assert najin.source == "searoute_ports.geojson"
    # Two features share MOMFM (Macau); both are kept, the second numbered.
    assert get_place(tmp_store, "searoute_ports:MOMFM:2").name == "Macau"
    assert tmp_store.count("places") == 3962


def test_geojson_kind_and_source_defaults_from_the_caller(
    tmp_store: cargotrace.Store, searoute: Path
) -> None:
    load_places(tmp_store, searoute, kind=PlaceKind.SEAPORT, source="searoute 1.6.0 ports")
    najin = get_place(tmp_store, "searoute_ports:KPNJN")
    assert (najin.kind, najin.radius_m, najin.source) == ("seaport", 3000.0, "searoute 1.6.0 ports")


def test_geojson_properties_and_bad_features(tmp_store: cargotrace.Store, tmp_path: Path) -> None:
    path = tmp_path / "watch.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [132.3375, 42.88028]},'
        ' "properties": {"name": "Dunay", "aliases": ["Dunai"], "locode": "RU XXX",'
        ' "country": "Russia", "kind": "naval base", "radius_m": 4000, "watch_reason": "pier",'
        ' "source": "RUSI 2023"}},'
        '{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},'
        ' "properties": {"name": "a lane"}},'
        '{"type": "Feature", "geometry": null, "properties": {"name": "nowhere"}}]}',
        encoding="utf-8",
    )
    summary = load_places(tmp_store, path)
    assert [(s.row, s.reason) for s in summary.skipped] == [
        (2, SkipReason.UNSUPPORTED_GEOMETRY), (3, SkipReason.MISSING_COORDINATES),
    ]
    assert get_place(tmp_store, "watch:RUXXX") == Place(
        place_id="watch:RUXXX", name="Dunay", aliases=("Dunai", "RU XXX", "RUXXX"), country="RU",
        kind="naval_base", lat=42.88028, lon=132.3375, radius_m=4000.0, watch_reason="pier",
        source="RUSI 2023",
    )


def test_invalid_json_is_one_clear_line(tmp_store: cargotrace.Store, tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(UnreadableInputError) as info:
        load_places(tmp_store, path)
    assert str(info.value) == (
        f"{path}: not valid JSON (Expecting value at line 1); pass --format csv if it is a CSV file"
    )


# --- generic CSV ------------------------------------------------------------------------------

CSV_HEADER = ["place_id", "name", "Latitude", "Longitude", "aliases", "country", "kind",
              "radius_m", "watch_reason", "source"]


def test_generic_csv(tmp_store: cargotrace.Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "my places.csv", CSV_HEADER, [
        ["x:khasan", "Khasan", "42.415167", "130.641056", "Tumangang; Friendship Bridge", "RU",
         "Border crossing", "", "only rail link", "Wikipedia"],
        ["", "Tikhoretsk depot", "45.85472", "40.12528", "", "Russian Federation", "arsenal",
         "15000", "", ""],
    ])
    summary = load_places(tmp_store, path)
    assert (summary.format, summary.loaded, summary.skipped) == (PlaceFormat.CSV, 2, [])
    assert get_place(tmp_store, "x:khasan") == Place(
        place_id="x:khasan", name="Khasan", aliases=("Tumangang", "Friendship Bridge"),
        country="RU", kind="border_crossing", lat=42.415167, lon=130.641056, radius_m=2000.0,
        watch_reason="only rail link", source="Wikipedia",
    )
    # No place_id: the id is built from the file name and the place name; source = file name.
    depot = get_place(tmp_store, "my-places:tikhoretsk-depot")
    assert (depot.kind, depot.radius_m, depot.country, depot.source) == (
        "depot", 15000.0, "RU", "my places.csv")


def test_semicolon_csv_with_lng_column(tmp_store: cargotrace.Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", ["name", "lat", "lng", "locode"],
                     [["Vostochny", "42.75", "133.08", "RUVYP"]], delimiter=";")
    load_places(tmp_store, path)
    place = get_place(tmp_store, "p:RUVYP")
    assert (place.aliases, place.lon, place.kind) == (("RU VYP", "RUVYP"), 133.08, "unknown")


def test_csv_reload_is_idempotent_and_applies_corrections(
    tmp_store: cargotrace.Store, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", ["place_id", "name", "lat", "lon"],
                     [["a", "Alpha", "10", "20"], ["b", "Beta", "11", "21"]])
    load_places(tmp_store, path)
    assert load_places(tmp_store, path).replaced == 2
    assert tmp_store.count("places") == 2
    write_csv(path, ["place_id", "name", "lat", "lon"], [["a", "Alpha", "10.5", "20"]])
    summary = load_places(tmp_store, path)
    assert (summary.loaded, summary.inserted, summary.replaced) == (1, 0, 1)
    assert get_place(tmp_store, "a").lat == 10.5
    assert tmp_store.count("places") == 2


def test_bad_rows_are_reported_not_dropped(tmp_store: cargotrace.Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", ["place_id", "name", "lat", "lon", "radius_m", "kind"], [
        ["ok", "Good", "42.2", "130.3", "", "seaport"],
        ["p2", "No coordinates", "", "", "", ""],
        ["p3", "Too far north", "200", "10", "", ""],
        ["p4", "Too far west", "10", "-190", "", ""],
        ["p5", "Words", "north", "10", "", ""],
        ["p6", "", "1", "2", "", ""],
        ["p7", "Negative radius", "1", "2", "-5", ""],
        ["ok", "Same id again", "1", "2", "", ""],
        ["p9", "Odd kind", "1", "2", "", "volcano"],
    ])
    summary = load_places(tmp_store, path)
    assert [(s.row, str(s.reason), s.detail) for s in summary.skipped] == [
        (3, "missing_coordinates", "No coordinates: no latitude/longitude"),
        (4, "lat_out_of_range", "Too far north: lat=200"),
        (5, "lon_out_of_range", "Too far west: lon=-190"),
        (6, "unparseable_coordinates", "Words: lat='north' lon='10'"),
        (7, "missing_name", "no name"),
        (8, "bad_radius", "Negative radius: radius_m='-5'"),
        (9, "duplicate_place_id", "ok repeats an earlier row"),
    ]
    assert (summary.rows_read, summary.loaded) == (9, 2)
    assert summary.unknown_kinds == {"volcano": 1}
    assert get_place(tmp_store, "p9").kind == "unknown"
    assert summary.to_dict()["skipped_by_reason"]["lat_out_of_range"] == 1


def test_csv_without_latitude_column_is_unreadable(
    tmp_store: cargotrace.Store, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "ports.csv", ["port", "y", "x"], [["Najin", "42.2", "130.3"]])
    with pytest.raises(UnreadableInputError) as info:
        load_places(tmp_store, path)
    assert str(info.value) == (
        f"{path}: no latitude column (found: port, y, x); rename a column to lat or latitude, "
        "or pass --format wpi|geojson if the file is one of those"
    )
    assert tmp_store.count("places") == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "{path}: no such file"),
        ("\n  \n", "{path}: the file is empty; expected a World Port Index CSV, GeoJSON, or a "
                   "CSV with name, lat, lon columns"),
        (b"name,lat,lon\nK\xf6ln,50.9,6.9\n", "{path}: not UTF-8 text (byte 14: invalid start "
                                              "byte); save it as UTF-8"),
    ],
    ids=["missing", "empty", "latin1"],
)
def test_unusable_files(
    tmp_store: cargotrace.Store, tmp_path: Path, content: str | bytes | None, message: str
) -> None:
    path = tmp_path / "f.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(UnreadableInputError) as info:
        load_places(tmp_store, path)
    assert str(info.value) == message.format(path=path)


def test_unknown_format_name_is_a_params_error(tmp_store: cargotrace.Store, wpi: Path) -> None:
    with pytest.raises(ParamsError) as info:
        load_places(tmp_store, wpi, "kml")
    assert str(info.value) == "--format: 'kml' is not one of auto, wpi, geojson, csv"


# --- vocabularies -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "kind"),
    [("seaport", PlaceKind.SEAPORT), ("Rail terminal", PlaceKind.RAIL_TERMINAL),
     ("border-crossing", PlaceKind.BORDER_CROSSING), ("port", PlaceKind.SEAPORT),
     ("STRAIT", PlaceKind.CHOKEPOINT), ("volcano", None), (None, None)],
)
def test_place_kind_parse(text: str | None, kind: PlaceKind | None) -> None:
    assert PlaceKind.parse(text) is kind


@pytest.mark.parametrize(
    ("text", "iso2"),
    [("Russia", "RU"), ("North_korea", "KP"), ("Cote D'Ivoire", "CI"), ("Côte d’Ivoire", "CI"),
     ("Congo (Kinshasa)", "CD"), ("ru", "RU"), ("Atlantis", None), ("", None), (None, None)],
)
def test_country_iso2(text: str | None, iso2: str | None) -> None:
    assert country_iso2(text) == iso2


def test_locode_forms() -> None:
    assert locode_forms("RU VVO") == ["RU VVO", "RUVVO"]
    assert locode_forms(" KPNJN ") == ["KP NJN", "KPNJN"]
    assert locode_forms("Rason") == []
    assert locode_forms("LB") == []
    assert locode_forms("  ") == []


# --- the curated gazetteer shipped in the package ---------------------------------------------

CURATED_IDS = {
    "ct:najin", "ct:dunay", "ct:vostochny", "ct:vladivostok", "ct:nakhodka",
    "ct:tikhoretsk-depot", "ct:novorossiysk", "ct:tartus", "ct:latakia", "ct:benghazi",
    "ct:tobruk", "ct:port-said", "ct:bosporus", "ct:bandar-abbas", "ct:bandar-anzali",
    "ct:astrakhan", "ct:makhachkala", "ct:khasan-tumangang", "ct:dandong-sinuiju", "ct:amirabad",
    "ct:khasan", "ct:tumangang",  # the two stations of the crossing (issue 15)
}


def test_curated_gazetteer_rows_are_complete_and_cited(tmp_store: cargotrace.Store) -> None:
    summary = load_curated_gazetteer(tmp_store)
    assert (summary.rows_read, summary.loaded, summary.skipped) == (22, 22, [])
    assert summary.unmapped_countries == {} and summary.unknown_kinds == {}
    rows = tmp_store.con.execute("SELECT place_id, country, kind, source FROM places").fetchall()
    assert {r[0] for r in rows} == CURATED_IDS
    for place_id, country, kind, source in rows:
        assert re.fullmatch(r"[A-Z]{2}", country), place_id
        assert kind != "unknown" and PlaceKind(kind), place_id
        assert re.search(r"https://\S+", source), f"{place_id}: source has no URL"
    assert load_curated_gazetteer(tmp_store).replaced == 22  # idempotent
    assert tmp_store.count("places") == 22


def test_curated_najin_vostochny_dunay_tikhoretsk(tmp_store: cargotrace.Store) -> None:
    load_curated_gazetteer(tmp_store)
    najin = get_place(tmp_store, "ct:najin")
    assert {"Rajin", "Rason", "Rajin-Sonbong", "KP RJN", "KPNJN"} <= set(najin.aliases)
    assert (najin.lat, najin.lon, najin.country) == (42.233333, 130.3, "KP")
    assert "WPI" in najin.source or "World Port Index" in najin.source
    vostochny = get_place(tmp_store, "ct:vostochny")
    assert (vostochny.lat, vostochny.lon) == (42.75, 133.083333)
    assert not any("cosmodrome" in a.lower() for a in vostochny.aliases)
    assert "Not the Vostochny Cosmodrome in Amur oblast" in (vostochny.watch_reason or "")
    dunay = get_place(tmp_store, "ct:dunay")
    assert math.isclose(dunay.lat, 42.88, abs_tol=0.01) and math.isclose(dunay.lon, 132.34,
                                                                         abs_tol=0.01)
    assert "munitions" in (dunay.watch_reason or "") and "RUSI" in dunay.source
    depot = get_place(tmp_store, "ct:tikhoretsk-depot")
    assert (depot.kind, depot.country) == ("depot", "RU")
    assert "APPROXIMATE" in (depot.watch_reason or "")
    assert get_place(tmp_store, "ct:bosporus").radius_m == 20000.0


# --- CLI --------------------------------------------------------------------------------------

def test_cli_places_load_file_then_curated(tmp_path: Path, wpi: Path) -> None:
    runner = CliRunner()
    store = str(tmp_path / "s.duckdb")
    result = runner.invoke(app, ["places", "load", str(wpi), "--store", store])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # summaries go to stderr
    assert result.stderr.splitlines() == [
        f"created store at {store}",
        "UpdatedPub150.csv (wpi): 3,814 rows, 3,812 places loaded (3,812 new, 0 replaced), "
        "2 skipped",
        "  skipped line 1311: duplicate_place_id (wpi:49460 repeats an earlier row)",
        "  skipped line 3701: duplicate_place_id (wpi:400 repeats an earlier row)",
    ]
    result = runner.invoke(app, ["places", "load", "--curated", "--store", store, "--json"])
    assert result.exit_code == 0, result.output
    assert '"loaded": 22' in result.stdout and '"path": ' in result.stdout
    with cargotrace.open_store(store) as st:
        assert st.count("places") == 3812 + 22


@pytest.mark.parametrize(
    ("args", "message"),
    [([], "places load: give either a PATH or --curated"),
     (["x.csv", "--curated"], "places load: give either a PATH or --curated"),
     (["--curated", "--kind", "depot"],
      "places load --curated: --format, --kind and --source apply to a PATH")],
)
def test_cli_places_load_argument_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["places", "load", *args, "--store", str(tmp_path / "s.db")])
    assert result.exit_code == 1
    assert isinstance(result.exception, ParamsError)
    assert str(result.exception) == message


def test_cli_places_load_unreadable_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ports.csv", ["A", "B", "C"], [["1", "2", "3"]])
    result = CliRunner().invoke(app, ["places", "load", str(path), "--store",
                                      str(tmp_path / "s.duckdb")])
    assert result.exit_code == 1
    assert isinstance(result.exception, UnreadableInputError)
    assert str(result.exception) == (
        f"{path}: no latitude column (found: A, B, C); rename a column to lat or latitude, or "
        "pass --format wpi|geojson if the file is one of those"
    )
