"""The campaign report (HTML) and campaign exports: the chart's band and claim points are the
build's numbers (recomputed independently where the inputs make it exact), hostile text is
escaped and bounded, the file is offline, and the GeoJSON holds the corridors and the calls."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

from cargotrace.cases.campaign import build_campaign, read_campaign
from cargotrace.cli.app import app
from cargotrace.publish.campaign_report import CampaignReportParams, write_campaign_report
from tests.publish.html_parse import Element, parse_html

EXAMPLE = "dprk-russia-2023-2025"


def _frame(svg: Element) -> tuple[float, float, float, float, datetime, datetime, float]:
    left, top, width, height = (float(v) for v in svg.attrs["data-plot"].split())
    t0 = datetime.fromisoformat(svg.attrs["data-t0"])
    t1 = datetime.fromisoformat(svg.attrs["data-t1"])
    return left, top, width, height, t0, t1, float(svg.attrs["data-y-max"])


def _xy(svg: Element, at: datetime, value: float) -> tuple[float, float]:
    left, top, width, height, t0, t1, y_max = _frame(svg)
    return (left + width * (at - t0).total_seconds() / (t1 - t0).total_seconds(),
            top + height * (1 - value / y_max))


def _report(path: str | Path, out: Path, **kw: Any) -> tuple[Any, Element, str]:
    report = write_campaign_report(path, out, **kw)
    text = report.html_path.read_text(encoding="utf-8")
    return report, parse_html(text), text


def test_chart_band_and_claim_points_are_the_builds_numbers(tmp_path: Path) -> None:
    report, doc, _ = _report(EXAMPLE, tmp_path)
    result = report.result.to_dict()
    svg = doc.by_id("chart-total")
    points = svg.find_all("circle", "cv-point")
    # the campaign's start at zero, then every month end of the build
    assert len(points) == 1 + len(result["cumulative"])
    for point, row in zip(points[1:], result["cumulative"], strict=True):
        assert point.attrs["data-date"] == row["date"]
        assert int(point.attrs["data-trips"]) == row["trips"]
        for key in ("p10", "p50", "p90"):
            assert float(point.attrs[f"data-{key}"]) == row["total"][key]
        x, y = _xy(svg, datetime.fromisoformat(row["date"]).replace(tzinfo=UTC),
                   row["total"]["p50"])
        assert math.isclose(float(point.attrs["cx"]), x, abs_tol=0.01)
        assert math.isclose(float(point.attrs["cy"]), y, abs_tol=0.01)
    # the band's upper edge is the P90s, its lower edge the P10s (reversed)
    band = [tuple(map(float, p.split(","))) for p in
            svg.find_all("polygon", "cv-band")[0].attrs["points"].split()]
    n = len(points)
    uppers = [float(p.attrs["data-p90"]) for p in points]
    assert [round(_value(svg, y), 0) for _, y in band[:n]] == [round(v, 0) for v in uppers]
    # every claim is a point at (the end of its day, the quantity), with source and grading
    marks = svg.find_all("g", "cv-claim-mark")
    claims = {c["claim"]: c for c in result["claims"]}
    assert {m.attrs["data-claim"] for m in marks} == set(claims)
    for mark in marks:
        claim = claims[mark.attrs["data-claim"]]
        circle = mark.find_all("circle")[0]
        at = datetime.combine(date.fromisoformat(claim["by"]), datetime.min.time(),
                              UTC) + timedelta(days=1)
        x, y = _xy(svg, at, claim["quantity"])
        assert math.isclose(float(circle.attrs["cx"]), x, abs_tol=0.01)
        assert math.isclose(float(circle.attrs["cy"]), y, abs_tol=0.01)
        assert f"cv-{claim['verdict']}" in circle.classes
        tip = mark.find_all("title")[0].all_text()
        assert claim["source"]["publisher"] in tip and claim["grading"] in tip
    # the verdicts in words, with their numbers, in the claims table
    rows = doc.by_id("claims-table").find_all("tr")[1:]
    assert [r.attrs["data-verdict"] for r in rows] == [c["verdict"] for c in result["claims"]]
    words = doc.by_id("claims").all_text()
    assert all(c["explanation"][:60] in words for c in result["claims"])


def _value(svg: Element, y: float) -> float:
    _, top, _, height, _, _, y_max = _frame(svg)
    return (1 - (y - top) / height) * y_max


def _exact_doc(example_doc: dict[str, Any]) -> dict[str, Any]:
    """Fixed capacities and load factor, A1 evidence, one-day trips: every draw is the same,
    so the band is the sum of the capacities of the trips dated by then."""
    doc = example_doc
    doc["load_factor"] = {"low": 1, "mode": 1, "high": 1, "basis": "exact, for the test"}
    for v in doc["vessels"]:
        v["capacity"] = {"low": 100, "mode": 100, "high": 100, "basis": "exact"}
    doc["vessels"][1]["capacity"] = {"low": 250, "mode": 250, "high": 250, "basis": "exact"}
    for e in doc["evidence"]:
        e["grading"] = "A1"
    ids = [v["id"] for v in doc["vessels"][:2]]
    days = ["2023-08-20", "2023-09-03", "2023-09-30", "2023-10-02", "2023-11-15"]
    doc["trips"] = [{"id": f"t{i}", "corridor": "rajin-dunay", "vessels": [ids[i % 2]],
                     "period": d, "evidence": [doc["evidence"][0]["id"]]}
                    for i, d in enumerate(days)]
    for c in doc["claims"]:
        c["source"]["date"] = max(str(c["source"]["date"]), str(c["by"]))
    return doc


def test_band_is_exact_when_the_inputs_are(example_doc: dict[str, Any],
                                           write_campaign: Callable[..., Path],
                                           tmp_path: Path) -> None:
    doc = _exact_doc(example_doc)
    _, html, _ = _report(write_campaign(doc), tmp_path / "out")
    caps = {v["id"]: v["capacity"]["mode"] for v in doc["vessels"]}
    trips = pd.DataFrame([{"vessel": t["vessels"][0],
                           "at": pd.Timestamp(t["period"], tz="UTC") + pd.Timedelta(hours=12)}
                          for t in doc["trips"]])
    trips["units"] = trips["vessel"].map(caps)
    for point in html.by_id("chart-total").find_all("circle", "cv-point")[1:]:
        by = pd.Timestamp(point.attrs["data-date"], tz="UTC")
        expected = trips.loc[trips["at"] <= by, "units"].sum()
        assert float(point.attrs["data-p10"]) == float(point.attrs["data-p90"]) == expected
        assert int(point.attrs["data-trips"]) == int((trips["at"] < by).sum())


def test_corridor_charts_when_trips_use_several(example_doc: dict[str, Any],
                                                write_campaign: Callable[..., Path],
                                                tmp_path: Path) -> None:
    doc = example_doc
    doc["trips"].append({"id": "lady-r-extra", "corridor": "rajin-vostochny",
                         "vessels": ["lady-r"], "period": ["2023-11-01", "2023-11-30"],
                         "round_trips": 3, "evidence": [doc["evidence"][0]["id"]]})
    doc["claims"][0]["corridor"] = "rajin-vostochny"
    report, html, _ = _report(write_campaign(doc), tmp_path / "out")
    cumulative = report.result.to_dict()["cumulative"]
    for corridor in ("rajin-dunay", "rajin-vostochny"):
        svg = html.by_id(f"chart-{corridor}")
        points = svg.find_all("circle", "cv-point")[1:]
        assert [float(p.attrs["data-p50"]) for p in points] == [
            r["corridors"][corridor]["p50"] for r in cumulative]
    on_corridor = {m.attrs["data-claim"] for m in
                   html.by_id("chart-rajin-vostochny").find_all("g", "cv-claim-mark")}
    on_total = {m.attrs["data-claim"] for m in
                html.by_id("chart-total").find_all("g", "cv-claim-mark")}
    assert on_corridor == {doc["claims"][0]["id"]}
    assert on_total == {c["id"] for c in doc["claims"][1:]}


def test_hostile_text_is_escaped_and_bounded(example_doc: dict[str, Any],
                                             write_campaign: Callable[..., Path],
                                             tmp_path: Path) -> None:
    doc = example_doc
    doc["title"] = "<script>alert(1)</script> & co"
    doc["claims"][0]["statement"] = '<img src=x onerror="alert(2)">' + "x" * 20_000
    doc["claims"][0]["source"]["url"] = "javascript:alert(3)"
    doc["vessels"][0]["name"] = "</text><script>alert(4)</script>"
    _, html, text = _report(write_campaign(doc), tmp_path / "out",
                            params=CampaignReportParams(max_text_chars=300))
    assert not html.find_all("script") and not html.find_all("img")
    assert "<script>alert(1)</script> & co" in html.find_all("h1")[0].all_text()
    assert "alert(4)" in html.by_id("trips").all_text()  # the vessel's name, as text
    row = html.by_id("claims-table").find_all("tr")[1]
    assert "<img src=x" in row.all_text() and "x" * 300 not in row.all_text()
    hrefs = [a.attrs["href"] for a in html.find_all("a") if "href" in a.attrs]
    assert not [h for h in hrefs if h.lower().startswith("javascript")]
    assert len(text) < 200_000


def test_report_is_offline(tmp_path: Path) -> None:
    _, html, text = _report(EXAMPLE, tmp_path / "r.html")
    assert (tmp_path / "r.html").is_file()
    assert not html.find_all("script") and not html.find_all("link")
    assert not any(e.attrs.get("src") for e in html.walk())
    assert not re.search(r"url\(\s*['\"]?https?:", text)
    assert "Content-Security-Policy" in text
    hrefs = [a.attrs["href"] for a in html.find_all("a") if "href" in a.attrs]
    # source links, and the table of contents' anchors; nothing else leaves the file
    assert all(h.startswith(("https://", "http://", "#")) for h in hrefs)
    assert sum(h.startswith("https://") for h in hrefs) >= 5
    ids = [e.attrs["id"] for e in html.walk() if "id" in e.attrs]
    assert len(ids) == len(set(ids))


def test_cli_report_and_geojson_export(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["campaign", "report", EXAMPLE, "--out", str(tmp_path / "rep")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "rep" / f"{EXAMPLE}.html").is_file()
    out = tmp_path / "c.geojson"
    res = runner.invoke(app, ["export", "--campaign", EXAMPLE, "--format", "geojson",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    features = json.loads(out.read_text())["features"]
    campaign = read_campaign(EXAMPLE)
    lines = [f for f in features if f["geometry"]["type"] == "LineString"]
    assert {f["properties"]["corridor"] for f in lines} == {k.id for k in campaign.corridors}
    # a file trip is one arrival call at its corridor's destination: the file's count
    entries = pd.DataFrame([{"n": e.round_trips - len(e.includes)} for e in campaign.trips])
    calls = [f for f in features if f["geometry"]["type"] == "Point"]
    assert len(calls) == entries["n"].sum()
    assert {f["properties"]["to"] for f in lines if f["properties"]["trips"]} == {"Dunay"}
    assert all(f["properties"]["how"] == "file" and f["properties"]["call"] == "arrival"
               for f in calls)
    built = build_campaign(campaign)
    assert sorted(f["properties"]["trip_id"] for f in calls) == sorted(
        t.trip_id for t in built.trips)
