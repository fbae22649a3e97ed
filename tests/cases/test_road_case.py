"""Issue 15: a leg the evidence says went by truck gets truck hypotheses (the road model), ranked
first, with the road distance and time in the leg; without truck words there is no road option.

The case is constructed (`simulated: true`): the Vladivostok-Nakhodka road is real, the
sightings are not; the expected distance is computed here from the places' coordinates."""

from __future__ import annotations

import math
from typing import Any

import pytest

from cargotrace.cases import build_case
from cargotrace.cases.legs import Planner
from cargotrace.cases.load import parse_case
from cargotrace.routes.place_book import PlaceBook

SOURCE = {"title": "constructed for this test (no source)", "publisher": "cargotrace tests",
          "date": "2023-10-05", "url": None}


def _doc(first: str, second: str) -> dict[str, Any]:
    def item(id: str, place: str, day: str, what: str) -> dict[str, Any]:
        return {"id": id, "kind": "imagery", "place": place, "observed": day, "what": what,
                "grading": "B2", "simulated": True, "source": SOURCE}

    return {"case": "trucks", "title": "containers by truck", "cargo": {"description": "boxes"},
            "evidence": [item("vlad", "Vladivostok", "2023-10-01", first),
                         item("nakh", "Nakhodka", "2023-10-02", second)]}


@pytest.fixture(scope="module")
def planner(curated_planner: Planner) -> Planner:
    """The run's planner over the curated places (conftest.py): each route planned once."""
    return curated_planner


def test_issue_15_trucks_at_both_ends_make_a_road_leg(planner: Planner) -> None:
    doc = build_case(parse_case(_doc("containers loaded on trucks at the quay",
                                     "the same грузовики unloading in Nakhodka")),
                     planner=planner).to_dict()
    assert [(c["mode"], c["carrier"]) for c in doc["carriers"]] == [("road", "trucks")]
    best = doc["hypotheses"][0]
    (leg,) = best["legs"]
    assert leg["mode"] == "road" and leg["segments"][0]["mode"] == "road"
    book = PlaceBook.curated()
    a, b = book.resolve("Vladivostok"), book.resolve("Nakhodka")
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    gc = 6371.0088 * math.acos(math.sin(la1) * math.sin(la2)
                               + math.cos(la1) * math.cos(la2) * math.cos(lo2 - lo1))
    assert leg["distance_km"] == pytest.approx(gc * 1.26, abs=0.2)
    assert set(leg["supports"]) >= {"vlad", "nakh"}
    others = [h for h in doc["hypotheses"][1:] if h["legs"][0]["mode"] != "road"]
    assert others and all(h["rank"] > best["rank"] for h in others)
    assert all(any(f["kind"] == "carrier_contradicted" for f in h["factors"]) for h in others)


def test_without_truck_words_no_road_option(planner: Planner) -> None:
    doc = build_case(parse_case(_doc("containers on the quay", "containers in Nakhodka")),
                     planner=planner).to_dict()
    assert doc["carriers"] == []
    assert all(leg["mode"] != "road" for h in doc["hypotheses"] for leg in h["legs"])
