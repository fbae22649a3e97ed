"""The HTML case report's content: every evidence item and hypothesis, the map's places and
routes, vessel profiles with sanctions hits, methods that name the inputs, and nothing that
would reach the network when the file is opened."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

import cargotrace
from cargotrace.cases import read_case
from cargotrace.cases.load import case_path
from cargotrace.errors import ParamsError
from cargotrace.publish.report import ReportParams, write_report
from cargotrace.publish.report.timeline import TimelineItem, render_timeline
from cargotrace.publish.report.vessels import event_rows

from .html_parse import Element, parse_html

CASE = "najin-tikhoretsk-2023"
ANGARA_IMO = 9179842


@pytest.fixture(scope="module")
def no_store_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Element, str]:
    report = write_report(Path(CASE), tmp_path_factory.mktemp("report"))
    text = report.html_path.read_text(encoding="utf-8")
    return report, parse_html(text), text


@pytest.fixture(scope="module")
def store_report(tmp_path_factory: pytest.TempPathFactory, sim_store: Path) -> tuple[Any, Element]:
    with cargotrace.open_store(sim_store, read_only=True) as st:
        report = write_report(Path(CASE), tmp_path_factory.mktemp("report"), st)
    return report, parse_html(report.html_path.read_text(encoding="utf-8"))


def test_every_evidence_item_is_a_row_with_its_source_and_grading(
        no_store_report: tuple[Any, Element, str]) -> None:
    _, doc, _ = no_store_report
    case = read_case(case_path(CASE))
    rows = doc.by_id("evidence-table").find_all("tr")[1:]
    assert [r.attrs["data-evidence-id"] for r in rows] == [i.id for i in case.evidence]
    for row, item in zip(rows, case.evidence, strict=True):
        text = " ".join(row.all_text().split())
        assert item.source.publisher in text and item.source.title in text
        assert item.grading in text
    angara = next(r for r in rows if r.attrs["data-evidence-id"] == "rusi-angara-shuttle")
    assert "context" in angara.all_text()
    najin = next(r for r in rows if r.attrs["data-evidence-id"] == "najin-staging")
    assert "anchor at Najin" in najin.all_text()


def test_hypotheses_table_holds_the_best_and_every_named_corridor(
        no_store_report: tuple[Any, Element, str]) -> None:
    report, doc, _ = no_store_report
    rows = doc.by_id("hypotheses-table").find_all("tr")[1:]
    ranks = [int(r.attrs["data-rank"]) for r in rows]
    hyps = report.result.hypotheses
    limit = ReportParams().table_hypotheses
    assert ranks == sorted({h.rank for h in hyps if h.rank <= limit or h.kind == "corridor"})
    assert "sea Najin → Dunay" in rows[0].all_text() and "best" in rows[0].all_text()
    suez = next(r for r in rows if "Suez" in r.all_text())
    assert "×" in suez.all_text() and "dunay-arrival" in suez.all_text()


def test_map_shows_the_places_and_the_routes_by_mode(
        no_store_report: tuple[Any, Element, str]) -> None:
    _, doc, _ = no_store_report
    svg = doc.by_id("map").find_all("svg", "case-map") or doc.by_id("map").find_all("svg")
    assert svg
    marks = svg[0].by_id("map-places").find_all("circle", "place")
    places = {c.find_all("title")[0].all_text() for c in marks}
    assert any("Najin" in p for p in places) and any("Dunay" in p for p in places)
    assert any("Tikhoretsk" in p for p in places)
    modes = {cls for p in svg[0].by_id("map-routes").find_all("path") for cls in p.classes}
    assert {"route-sea", "route-rail"} <= modes


def test_report_is_self_contained_and_credits_its_sources(
        no_store_report: tuple[Any, Element, str]) -> None:
    _, doc, text = no_store_report
    ids = [e.attrs["id"] for e in doc.walk() if "id" in e.attrs]
    assert len(ids) == len(set(ids)), "element ids must be unique"
    assert not doc.find_all("script") and not doc.find_all("link") and not doc.find_all("img")
    assert not re.search(r"url\(\s*['\"]?https?:", text)
    assert all(not a.attrs.get("src") for a in doc.walk())
    credits = doc.by_id("attribution").all_text()
    assert "© OpenStreetMap contributors" in credits and "Eurostat" in credits
    assert "Natural Earth" in credits
    summary = doc.by_id("summary").all_text()
    assert "not screened (no store given)" in summary


def test_store_report_profiles_the_sanctioned_vessel_and_names_its_inputs(
        store_report: tuple[Any, Element], sim_store: Path) -> None:
    report, doc = store_report
    with cargotrace.open_store(sim_store, read_only=True) as st:
        mmsi = st.con.execute("SELECT DISTINCT mmsi FROM vessel_reports WHERE imo = ?",
                              [ANGARA_IMO]).fetchall()[0][0]
        shas = {r[0] for r in st.con.execute("SELECT sha256 FROM ingests").fetchall()}
        kinds = {r[0] for r in st.con.execute("SELECT DISTINCT kind FROM events").fetchall()}
    profiles = {a.attrs["data-mmsi"]: a for a in doc.find_all("article", "vessel-profile")}
    angara = profiles[str(mmsi)]
    text = " ".join(angara.all_text().split())
    assert "ofac-37059" in text and "confirmed" in text and "M LEASING LLC" in text
    assert "IMO 9179842" in text
    with cargotrace.open_store(sim_store, read_only=True) as st:
        (as_of, loaded), = st.con.execute(
            "SELECT as_of, loaded_at FROM sanctions_loads WHERE list = 'ofac'").fetchall()
    # the list's own date, or the day it was loaded when neither the file nor the user gave one
    assert (str(as_of) if as_of else f"not given by the list; loaded {loaded:%Y-%m-%d}") in text
    methods = doc.by_id("methods").all_text()
    assert shas and all(sha in methods for sha in shas)
    detected = {r.find_all("td")[0].all_text() for r in doc.by_id("detections").find_all("tr")[1:]}
    assert kinds - {"sanction_match"} <= detected
    timeline = doc.by_id("timeline")
    ids = {g.attrs["data-id"] for g in timeline.find_all("g", "tl-item")}
    assert {i.id for i in report.result.case.evidence} <= ids
    assert any(len(i) == 32 for i in ids)  # event ids of the profiled vessels
    # a sanctions hit is a list entry, shown in the profile, not a bar on the timeline
    drawn = " ".join(r.attrs.get("class", "") for r in timeline.find_all("rect"))
    assert "sanction_match" in kinds and "tl-port_visit" in drawn
    assert "tl-sanction_match" not in drawn
    assert "ANGARA" in doc.by_id("summary").all_text()
    # the store was filled from `simulate`'s files: the report says its AIS is simulated
    assert "scenario sea-of-japan-2023, seed 1" in doc.by_id("simulated-ais-banner").all_text()


def test_analyst_text_is_escaped(tmp_path: Path) -> None:
    def hostile(doc: dict[str, Any]) -> None:
        doc["evidence"][0]["what"] = '<script>alert("x")</script> & <b>bold</b>'

    text = write_report(_case_file(tmp_path, hostile), tmp_path / "out").html_path.read_text(
        encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text and "<b>bold" not in text


def test_report_rejects_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match="html, pdf"):
        write_report(Path(CASE), tmp_path, fmt="docx")


def test_out_may_name_the_report_file(
        tmp_path: Path, no_store_report: tuple[Any, Element, str]) -> None:
    """`--out findings/angara.html` writes that file (not a folder of that name) with the
    same content as the folder form; a plain existing file is refused before any work."""
    report, _, text = no_store_report
    named = write_report(Path(CASE), tmp_path / "findings" / "angara.html", result=report.result)
    assert named.html_path == tmp_path / "findings" / "angara.html"
    assert named.html_path.is_file()
    assert named.html_path.read_text(encoding="utf-8").count("<tr") == text.count("<tr")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ParamsError, match="is a file"):
        write_report(Path(CASE), tmp_path / "notes.txt", result=report.result)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cargotrace", *args], capture_output=True,
                          text=True, cwd=cwd, check=False)


def _t(day: int, hour: int = 0) -> datetime:
    return datetime(2023, 9, day, hour, tzinfo=UTC)


def test_timeline_clips_items_beyond_the_case_and_keeps_short_ones_visible() -> None:
    items = [TimelineItem("a", "Evidence", "a", _t(7), _t(8), "evidence", "a"),
             TimelineItem("late", "Evidence", "late", _t(28), _t(29), "evidence", "late"),
             TimelineItem("blip", "Evidence", "blip", _t(9, 1), _t(9, 1), "evidence", "blip")]
    svg = parse_html(render_timeline(items, pad_d=1.0, focus=(_t(7), _t(12))))
    width = float(svg.find_all("svg")[0].attrs["viewbox"].split()[2])
    bars = {g.attrs["data-id"]: g.find_all("rect")[0] for g in svg.find_all("g", "tl-item")}
    assert "tl-clipped" in bars["late"].classes and "tl-clipped" not in bars["a"].classes
    for rect in bars.values():
        x, w = float(rect.attrs["x"]), float(rect.attrs["width"])
        assert 0 <= x and x + w <= width and w >= 4.0
    assert render_timeline([]) == ""


def test_report_cli_writes_the_file_and_names_it(tmp_path: Path) -> None:
    out = tmp_path / "r"
    result = cli("report", CASE, "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out / f"{CASE}.html")
    assert "best hypothesis: #1 sea Najin → Dunay" in result.stderr
    bad = cli("report", CASE, "--out", str(out), "--format", "docx", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.startswith("Error: --format docx: use one of html")


def test_report_says_where_a_case_file_comes_from(tmp_path: Path) -> None:
    """A newcomer has no case file: `report --help` and the one line for a missing one name
    the page that describes the format (it exists) and the command that writes one."""
    shown = cli("report", "--help", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    help_text = " ".join(shown.stdout.replace("\u2502", " ").split())  # no box, no wrapping
    missing = cli("report", "case.yaml", "--out", str(tmp_path / "r"), cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr == (
        "Error: case.yaml: no such file (packaged cases: najin-tikhoretsk-2023; write one as "
        "docs/concepts/cases.md describes, or let `cargotrace simulate --scenario "
        "sea-of-japan-2023` write a simulated evidence.yaml)\n")
    for text in (help_text, missing.stderr):
        assert "najin-tikhoretsk-2023" in text and "docs/concepts/cases.md" in text
        # the help renders `...` as code (no backticks shown); the error prints them
        assert "cargotrace simulate --scenario sea-of-japan-2023" in text.replace("`", "")
    page = Path(cargotrace.__file__).parents[1] / "docs" / "concepts" / "cases.md"
    assert "\n## The case file\n" in page.read_text(encoding="utf-8")
    assert not (tmp_path / "r").exists()


def test_report_file_is_readable_like_any_written_file(
        no_store_report: tuple[Any, Element, str]) -> None:
    import os

    mask = os.umask(0)
    os.umask(mask)
    report, _, _ = no_store_report
    assert report.html_path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_report_on_simulated_ais_says_so_at_the_top(
        store_report: tuple[Any, Element]) -> None:
    _, doc = store_report
    banner = " ".join(doc.by_id("simulated-ais-banner").all_text().split())
    assert "scenario sea-of-japan-2023, seed 1" in banner and "public sources" in banner
    assert "simulated AIS" in doc.by_id("summary").all_text()


def _case_file(tmp_path: Path, change: Any) -> Path:
    doc = yaml.safe_load(case_path(CASE).read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_case_without_places_or_hypotheses_still_reports(tmp_path: Path) -> None:
    def no_places(doc: dict[str, Any]) -> None:
        for item in doc["evidence"]:
            item["place"] = None

    report = write_report(_case_file(tmp_path, no_places), tmp_path / "out")
    doc = parse_html(report.html_path.read_text(encoding="utf-8"))
    assert "Nothing to map" in doc.by_id("map").all_text()
    assert "No hypothesis" in doc.by_id("hypotheses").all_text()
    assert len(doc.by_id("evidence-table").find_all("tr")) == 1 + len(report.result.case.evidence)


def test_only_web_links_are_clickable(tmp_path: Path) -> None:
    def urls(doc: dict[str, Any]) -> None:
        doc["evidence"][0]["source"]["url"] = "javascript:alert(document.domain)"
        doc["evidence"][1]["source"]["url"] = "https://example.org/statement"

    text = write_report(_case_file(tmp_path, urls), tmp_path / "out").html_path.read_text(
        encoding="utf-8")
    hrefs = {a.attrs["href"] for a in parse_html(text).find_all("a") if "href" in a.attrs}
    assert "https://example.org/statement" in hrefs
    assert not [h for h in hrefs if h.lower().startswith("javascript")]
    assert "javascript:alert(document.domain)" in text  # shown as text, as the source gave it
    assert "Content-Security-Policy" in text


def test_store_without_lists_says_not_screened(tmp_path: Path) -> None:
    with cargotrace.open_store(tmp_path / "empty.duckdb") as st:
        report = write_report(Path(CASE), tmp_path / "out", st)
    summary = parse_html(report.html_path.read_text(encoding="utf-8")).by_id("summary")
    assert "not screened (no sanctions list in the store)" in summary.all_text()


def test_out_must_be_a_folder(tmp_path: Path) -> None:
    taken = tmp_path / "file"
    taken.write_text("x")
    with pytest.raises(ParamsError, match="is a file"):
        write_report(Path(CASE), taken)


def test_methods_give_a_command_that_reproduces_the_report(
        no_store_report: tuple[Any, Element, str]) -> None:
    report, doc, _ = no_store_report
    command = doc.by_id("methods").find_all("code")[0].all_text()
    assert command.startswith("cargotrace report ") and " --out " in command
    # the output folder by its name: the folders above it are the analyst's own (issue 21)
    assert f" --out {report.html_path.parent.name}" in command
    assert str(report.html_path.parent.parent) not in command


def test_timeline_labels_cut_bars_with_their_last_day() -> None:
    items = [TimelineItem("list", "Evidence", "list", _t(3).replace(month=5, year=2024),
                          _t(4).replace(month=5, year=2024), "evidence", "list"),
             TimelineItem("early", "Evidence", "early", _t(1).replace(month=8), _t(8),
                          "evidence", "early")]
    svg = render_timeline(items, pad_d=1.0, focus=(_t(7), _t(12)))
    assert "→ 03 May 2024" in svg  # a whole day [3 May, 4 May) ends on 3 May
    assert "01 Aug 2023 ←" in svg


def test_event_spans_keep_their_times_and_say_open() -> None:
    from cargotrace.publish.report.times import fmt_span, fmt_window

    assert fmt_span(_t(14), _t(16)) == "14 Sep 2023 00:00 UTC – 16 Sep 2023 00:00 UTC"
    assert fmt_span(_t(14, 5), None) == "14 Sep 2023 05:00 UTC – (open)"
    assert fmt_window(_t(7), _t(9)) == "07 Sep 2023 – 08 Sep 2023"  # evidence: whole days


def test_a_possible_dark_port_call_shows_every_port_that_fits() -> None:
    call = {"kind": "possible_dark_port_call", "start": _t(5), "end": _t(14),
            "place_id": "ct:nakhodka", "confidence": 0.92, "event_id": "e1",
            "attrs": {"candidates": [{"place_id": p} for p in
                                     ("ct:nakhodka", "ct:vladivostok", "ct:najin")]}}
    visit = {"kind": "port_visit", "start": _t(1), "end": _t(5), "place_id": "ct:vostochny",
             "confidence": 0.75, "event_id": "e2", "attrs": {}}
    rows = event_rows({"events": [call, visit]}, 10, (_t(4), _t(20)))
    assert [r["place"] for r in rows] == ["ct:nakhodka, ct:vladivostok or ct:najin",
                                          "ct:vostochny"]
    call["attrs"] = {"candidates": [{"place_id": f"p{i}"} for i in range(12)]}
    (row,) = event_rows({"events": [call]}, 10, None)
    assert row["place"] == "p0, p1, p2, p3, p4 or 7 other ports"


def test_report_names_no_local_folder(store_report: tuple[Any, Element],
                                      sim_store: Path) -> None:
    """A report is shared: its inputs by file name and hash, never the analyst's folders
    (issue 21)."""
    report, doc = store_report
    text = report.html_path.read_text(encoding="utf-8")
    with cargotrace.open_store(sim_store, read_only=True) as st:
        inputs = [(Path(r[0]), r[1]) for r in st.con.execute(
            "SELECT path, sha256 FROM ingests UNION ALL "
            "SELECT path, sha256 FROM sanctions_loads").fetchall()]
    folders = {str(p.parent) for p, _ in inputs} | {
        str(sim_store.parent), str(report.html_path.parent.parent),
        str(case_path(CASE).parent)}
    for folder in folders:
        assert folder not in text, folder
    methods = " ".join(doc.by_id("methods").all_text().split())
    for path, sha in inputs:
        assert path.name in methods and sha in methods


def test_issue_21_sources_with_a_confirmed_address_are_linked(
        no_store_report: tuple[Any, Element, str]) -> None:
    """Every item whose source has a web address in the case file links it (a new tab gets
    neither the report's window nor its address); an item without one says so."""
    _, doc, _ = no_store_report
    items = yaml.safe_load(case_path(CASE).read_text(encoding="utf-8"))["evidence"]
    urls = {i["id"]: i["source"]["url"] for i in items}
    assert sum(1 for u in urls.values() if u and u.startswith("https://")) >= 2  # RUSI, OFAC
    for row in doc.by_id("evidence-table").find_all("tr")[1:]:
        url = urls[row.attrs["data-evidence-id"]]
        links = [a for a in row.find_all("a") if "href" in a.attrs]
        if url:
            (link,) = links
            assert link.attrs["href"] == url
            assert set(link.attrs["rel"].split()) == {"noopener", "noreferrer"}
        else:
            assert not links and "no URL recorded" in row.all_text()


def test_issue_21_hypothesis_titles_differ_and_name_third_countries(
        no_store_report: tuple[Any, Element, str]) -> None:
    """The three best share their legs' places; their titles differ by the countries and
    crossings of their rail routes, checked against the crossings file read here."""
    import csv

    report, doc, _ = no_store_report
    table = (Path(cargotrace.__file__).parent / "data" / "route_crossings.csv").read_text(
        encoding="utf-8")
    crossings = {r["name"].split(" (")[0]: {r["country_a"], r["country_b"]}
                 for r in csv.DictReader(table.splitlines())}
    rows = doc.by_id("hypotheses-table").find_all("tr")[1:]
    titles = [" ".join(r.find_all("td")[1].all_text().split()) for r in rows]
    assert len(set(titles)) == len(titles), titles
    built = report.result.to_dict()["hypotheses"]
    by_rank = {h["rank"]: h for h in built}
    for row, title in zip(rows, titles, strict=True):
        h = by_rank[int(row.attrs["data-rank"])]
        used = [c.split(" (")[0] for leg in h["legs"] for c in leg["transit"]["border_crossings"]]
        expected = set().union(*(crossings[c] for c in used)) - {"KP", "RU"} if used else set()
        if h["kind"] == "chain":  # corridors also enter countries by sea (Suez: Egypt)
            assert set(h["transit"]["third_countries"]) == expected, (title, used)
        if "CN" in h["transit"]["third_countries"]:
            assert "China" in title and "transits China" in h["explanation"]
            assert all(c in title or "border crossings" in title
                       for c in h["transit"]["third_country_crossings"]
                       for c in [c.split(" (")[0]])
    assert titles[0].endswith("within Russia")
    assert "via China (Grodekovo–Suifenhe, Zabaykalsk–Manzhouli)" in titles[1]


def test_issue_21_map_numbers_each_route_by_rank(
        no_store_report: tuple[Any, Element, str]) -> None:
    report, doc, _ = no_store_report
    svg = doc.by_id("map").find_all("svg", "case-map")[0]
    drawn = sorted({h.rank for h in report.result.hypotheses[:ReportParams().map_hypotheses]})
    badges = svg.by_id("map-ranks").find_all("g", "rank-badge")
    assert [b.find_all("text")[0].all_text() for b in badges] == [str(r) for r in drawn]
    ranked = {p.attrs["data-rank"] for p in svg.by_id("map-routes").walk()
              if "data-rank" in p.attrs}
    assert ranked == {str(r) for r in drawn}
    legend = " ".join(svg.by_id("map-legend").all_text().split())
    for rank in drawn:
        assert f"#{rank} " in legend


def test_issue_21_vessel_events_name_their_places(
        store_report: tuple[Any, Element], sim_store: Path) -> None:
    _, doc = store_report
    with cargotrace.open_store(sim_store, read_only=True) as st:
        names = dict(st.con.execute("SELECT place_id, name FROM places").fetchall())
    cells = [td for table in doc.find_all("table", "events")
             for td in table.find_all("td", "place")]
    placed = [td for td in cells if td.all_text().strip()]
    assert placed
    for td in placed:
        text = td.all_text()
        ids = re.findall(r"ct:[a-z0-9-]+", text)
        assert ids and all(names[i] in text for i in ids), text


def test_issue_21_methods_show_parameters_as_keys_and_times_on_one_line(
        store_report: tuple[Any, Element]) -> None:
    from dataclasses import fields

    from cargotrace.cases.params import CaseParams

    _, doc = store_report
    methods = doc.by_id("methods")
    assert not methods.find_all("pre")
    keys = {c.all_text() for c in methods.find_all("code")}
    assert {f.name for f in fields(CaseParams)} <= keys
    for row in methods.by_id("detections").find_all("tr")[1:]:
        kind, _, events, when, params = row.find_all("td")
        assert not re.search(r"\d{4}-\d\d-\d\dT", when.all_text())  # no raw ISO stamps
        assert "nowrap" in when.classes and "nowrap" in kind.classes
        assert "{" not in params.all_text()
        if events.all_text().strip() not in ("", "0"):  # params are recorded on the events
            assert params.find_all("ul", "kv"), kind.all_text()


def test_timeline_texts_fit_the_picture() -> None:
    """A date beside a bar at the right edge, and axis labels near it, are anchored so their
    estimated width stays inside the SVG (the browser test measures the drawn boxes)."""
    from cargotrace.publish.report import timeline

    items = [TimelineItem("late", "Evidence", "late", _t(2), _t(30).replace(month=12),
                          "evidence", "late"),
             TimelineItem("a", "Evidence", "a", _t(7), _t(8), "evidence", "a")]
    # the axis ends 48 min after the midnight of 29 Sep: that tick's label is at the edge
    svg = parse_html(render_timeline(items, pad_d=0.2, focus=(_t(7), _t(28, 20))))
    width = float(svg.find_all("svg")[0].attrs["viewbox"].split()[2])
    for text in svg.find_all("text"):
        x, anchor = float(text.attrs["x"]), text.attrs.get("text-anchor", "start")
        shown = len(text.all_text()) - sum(len(t.all_text()) for t in text.find_all("title"))
        w = timeline.CHAR_PX * shown
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        assert 0 <= left and left + w <= width, (text.text, x, anchor)


def test_issue_15_the_report_says_how_decisive_the_ranking_is(
        no_store_report: tuple[Any, Element, str]) -> None:
    report, doc, _ = no_store_report
    hyps = report.result.hypotheses
    ratio = hyps[0].score / hyps[1].score  # computed here from the scores
    text = " ".join(doc.by_id("decisiveness").all_text().split())
    assert text.startswith(f"not decisive: #1 is only {ratio:.2f}x as likely as #2")
    assert "against other modes:" in text and "is not decisive" in text
    sea = doc.by_id("hypotheses-table").find_all("tr")[1]
    # Najin 7-8 Sept to Dunay 12 Sept: 3 to 6 days observed
    assert "vs 3.0 d–6.0 d" in " ".join(sea.all_text().split())
