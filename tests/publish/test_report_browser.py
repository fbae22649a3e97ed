"""The reference case's HTML report in headless Chromium, offline (issue 7): it opens without
errors or requests, its map, timeline and tables show what the case holds, and it is set up to
print on A4 without cutting table rows. Leaves a screenshot in test-artifacts/report.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator

from cargotrace.publish.report import Report, ReportParams, write_report

from .browser import (
    ARTIFACTS,
    REFERENCE_CASE,
    Visit,
    case_evidence,
    chromium,
    open_offline,
)

SECTIONS = ["summary", "map", "timeline", "hypotheses", "evidence", "vessels", "methods"]
# what a drawn shape's box is, in CSS pixels; the legend's swatches are excluded by the caller
BOX = "e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }"
NOT_IN_LEGEND = ":not([id$=legend] *):not(.legend *)"  # the legend's swatches are no routes


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def report(reference_report: Report) -> Report:
    return reference_report


@pytest.fixture(scope="module")
def visit(browser: Browser, report: Report) -> Iterator[Visit]:
    with open_offline(browser, report.html_path) as v:
        yield v


@pytest.fixture(scope="module")
def printed(browser: Browser, report: Report) -> Iterator[Visit]:
    """The report as the browser lays it out for printing."""
    with open_offline(browser, report.html_path) as v:
        v.page.emulate_media(media="print")
        yield v


def boxes(locator: Locator) -> list[list[float]]:
    found: list[list[float]] = locator.evaluate_all(f"els => els.map({BOX})")
    return found


def test_opens_offline_without_errors_or_requests(visit: Visit, report: Report) -> None:
    assert visit.console_errors == []
    assert visit.page_errors == []
    assert visit.refused == []
    assert visit.requests == [report.html_path.resolve().as_uri()]


def test_is_self_contained(visit: Visit) -> None:
    """No script, and nothing the page would load: no src, stylesheet link, SVG image/use
    pointing anywhere, or CSS url(). Source links stay plain anchors."""
    loaders = visit.page.evaluate("""() => [
        ...document.querySelectorAll('script, [src], link[href], image, use, iframe, object')
    ].map(e => e.outerHTML.slice(0, 120))""")
    assert loaders == []
    css = visit.page.evaluate(
        "() => [...document.styleSheets].flatMap(s => [...s.cssRules]).map(r => r.cssText)"
        ".filter(t => t.includes('url(') || t.startsWith('@import') || t.startsWith('@font'))")
    assert css == []


def test_sections_in_order(visit: Visit) -> None:
    ids = visit.page.locator("body section[id]").evaluate_all("els => els.map(e => e.id)")
    assert ids == SECTIONS


def test_ids_are_unique(visit: Visit) -> None:
    """`#attribution` and the other fragments must name one element each (the map's SVG is
    inlined into the page, so its ids share the document's namespace)."""
    duplicates = visit.page.evaluate("""() => {
        const n = {};
        document.querySelectorAll('[id]').forEach(e => { n[e.id] = (n[e.id] || 0) + 1; });
        return Object.keys(n).filter(k => n[k] > 1); }""")
    assert duplicates == []


def test_map_shows_the_evidence_places(visit: Visit) -> None:
    svg = visit.page.locator("section#map svg.case-map")
    assert svg.count() == 1
    [map_box] = boxes(svg)
    places = svg.locator(f"circle.place{NOT_IN_LEGEND}")
    titles = places.evaluate_all(
        "els => els.map(e => e.querySelector(':scope > title')?.textContent ?? '')")
    labels = svg.locator("text.label").all_text_contents()
    wanted = sorted({str(e["place"]) for e in case_evidence() if e.get("place")})
    assert len(wanted) >= 3  # Najin, Dunay, Tikhoretsk
    for name in wanted:
        assert any(name.lower() in t.lower() for t in titles), (name, titles)
        assert any(name.lower() in t.lower() for t in labels), (name, labels)
    for left, top, width, height in boxes(places):
        assert width > 0 and height > 0
        assert map_box[0] <= left and left + width <= map_box[0] + map_box[2]
        assert map_box[1] <= top and top + height <= map_box[1] + map_box[3]


@pytest.mark.parametrize("mode", ["rail", "sea"])
def test_map_draws_routes(visit: Visit, mode: str) -> None:
    routes = visit.page.locator(f"section#map svg.case-map path.route.route-{mode}{NOT_IN_LEGEND}")
    drawn = boxes(routes)
    assert drawn, f"no {mode} route on the map"
    assert all(w > 0 or h > 0 for _, _, w, h in drawn), drawn
    assert max(w + h for _, _, w, h in drawn) > 10  # longer than a dot


def test_rail_route_crosses_the_map(visit: Visit) -> None:
    """Najin → Tikhoretsk is ~9,000 km by rail: its line spans most of the map's width."""
    [map_box] = boxes(visit.page.locator("section#map svg.case-map"))
    rails = boxes(visit.page.locator(f"svg.case-map path.route.route-rail{NOT_IN_LEGEND}"))
    assert max(w for _, _, w, _ in rails) > 0.5 * map_box[2]


def test_timeline_has_every_evidence_item(visit: Visit) -> None:
    items = visit.page.locator("section#timeline svg.timeline g.tl-item[data-id]")
    ids = items.evaluate_all("els => els.map(e => e.dataset.id)")
    assert {str(e["id"]) for e in case_evidence()} <= set(ids)
    assert all(w > 0 for _, _, w, _ in boxes(items))


def test_evidence_table_has_one_row_per_item(visit: Visit) -> None:
    rows = visit.page.locator("#evidence-table tbody tr[data-evidence-id]")
    ids = rows.evaluate_all("els => els.map(e => e.dataset.evidenceId)")
    assert ids == [str(e["id"]) for e in case_evidence()]
    assert visit.page.locator("#evidence-table tbody tr").count() == len(ids)


def test_hypotheses_table_matches_the_build(visit: Visit, report: Report) -> None:
    """The best `table_hypotheses`, plus every named corridor, in rank order."""
    limit = ReportParams().table_hypotheses
    built: list[dict[str, Any]] = report.result.to_dict()["hypotheses"]
    assert built
    expected = [str(h["rank"]) for h in built if h["rank"] <= limit or h["kind"] == "corridor"]
    ranks = visit.page.locator("#hypotheses-table tbody tr[data-rank]").evaluate_all(
        "els => els.map(e => e.dataset.rank)")
    assert ranks == expected
    assert ranks[0] == "1"


def test_vessel_named_in_the_evidence_has_a_profile(visit: Visit) -> None:
    profiles = visit.page.locator("section#vessels article.vessel-profile[data-mmsi]")
    titles = [t.lower() for t in profiles.locator("h3").all_inner_texts()]
    mmsis = profiles.evaluate_all("els => els.map(e => e.dataset.mmsi)")
    named = [e["vessel"] for e in case_evidence() if isinstance(e.get("vessel"), dict)]
    assert named
    for vessel in named:
        assert any(str(vessel["name"]).lower() in t and str(vessel.get("imo") or "") in t
                   for t in titles), (vessel, titles)
        if vessel.get("mmsi"):
            assert str(vessel["mmsi"]) in mmsis


def test_attribution_is_visible(visit: Visit) -> None:
    attribution = visit.page.locator("section#methods div#attribution")
    assert attribution.is_visible()
    assert "© OpenStreetMap contributors" in attribution.inner_text()


def test_screenshot(visit: Visit) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / "report.png"
    visit.page.screenshot(path=png, full_page=True)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 50_000


def test_print_css_asks_for_a4(printed: Visit) -> None:
    sizes = printed.page.evaluate(
        "() => [...document.styleSheets].flatMap(s => [...s.cssRules])"
        ".filter(r => r instanceof CSSPageRule).map(r => r.style.getPropertyValue('size'))")
    assert sizes and all(s.lower() == "a4" for s in sizes)


@pytest.mark.parametrize("table", ["hypotheses-table", "evidence-table"])
def test_print_keeps_table_rows_whole(printed: Visit, table: str) -> None:
    rows = printed.page.locator(f"#{table} tbody tr")
    assert rows.count() > 0
    styles = rows.evaluate_all("els => els.map(e => getComputedStyle(e).breakInside)")
    assert set(styles) == {"avoid"}
    head = printed.page.locator(f"#{table} thead").evaluate("e => getComputedStyle(e).display")
    assert head == "table-header-group"  # repeated on every page the table spans


def test_print_keeps_figures_and_profiles_whole(printed: Visit) -> None:
    for selector in ("section#map figure", "section#timeline figure",
                     "article.vessel-profile"):
        styles = printed.page.locator(selector).evaluate_all(
            "els => els.map(e => getComputedStyle(e).breakInside)")
        assert styles and all(s.startswith("avoid") for s in styles), (selector, styles)


def test_printed_tables_fit_the_a4_width_even_with_long_unbroken_text(
        browser: Browser, tmp_path: Path) -> None:
    """A 64-character hash or a long URL in an evidence text must wrap, not push the Source
    and Grading columns off the printed page (A4 minus margins is about 703 CSS px)."""
    import yaml

    from cargotrace.cases.load import case_path
    from cargotrace.publish.report import write_report

    doc = yaml.safe_load(case_path("najin-tikhoretsk-2023").read_text(encoding="utf-8"))
    doc["evidence"][0]["what"] += " sha256 " + "0123456789abcdef" * 4 + " " + "x" * 300
    doc["evidence"][1]["source"]["url"] = "https://example.org/" + "long-path-" * 30
    case = tmp_path / "long.yaml"
    case.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    html = write_report(case, tmp_path / "out").html_path
    with open_offline(browser, html) as v:
        v.page.emulate_media(media="print")
        v.page.set_viewport_size({"width": 703, "height": 1000})
        widths = v.page.evaluate(
            "() => [...document.querySelectorAll('table')].map(t => [t.id || t.className, "
            "t.scrollWidth, document.body.clientWidth])")
    assert widths
    assert all(width <= body + 1 for _, width, body in widths), widths


# issue 21: what a reader sees, measured on the page
LINES = """el => { const r = document.createRange(); r.selectNodeContents(el);
    return new Set([...r.getClientRects()].filter(b => b.width > 0)
                   .map(b => Math.round(b.top))).size; }"""


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_issue_21_map_numbers_each_route_and_tells_them_apart(visit: Visit,
                                                               report: Report) -> None:
    svg = visit.page.locator("section#map svg.case-map")
    [map_box] = boxes(svg)
    badges = svg.locator("g.rank-badge")
    drawn = min(ReportParams().map_hypotheses, len(report.result.hypotheses))
    assert badges.count() == drawn
    assert badges.locator("text").all_text_contents() == [str(r) for r in range(1, drawn + 1)]
    placed = boxes(badges.locator("circle"))
    for left, top, width, height in placed:
        assert width > 10 and height > 10
        assert map_box[0] <= left and left + width <= map_box[0] + map_box[2]
        assert map_box[1] <= top and top + height <= map_box[1] + map_box[3]
    assert not any(_overlap(a, b) for i, a in enumerate(placed) for b in placed[i + 1:])
    colours = svg.locator(f"path.route-rail-casing{NOT_IN_LEGEND}").evaluate_all(
        "els => els.map(e => getComputedStyle(e).stroke)")
    assert len(set(colours)) == drawn  # one colour per rank (all three take the rail)
    legend = " ".join(svg.locator("[id$=legend]").text_content().split())
    for h in report.result.hypotheses[:drawn]:
        assert f"#{h.rank} " in legend


def _texts_inside(visit: Visit, selector: str) -> list[tuple[str, list[float], list[float]]]:
    """(text, its box, the SVG's box) for every text drawn outside the SVG's box."""
    out: list[tuple[str, list[float], list[float]]] = visit.page.locator(selector).evaluate(
        """svg => { const s = svg.getBoundingClientRect();
            return [...svg.querySelectorAll('text')].map(t => {
                const r = t.getBoundingClientRect();
                return [t.textContent, [r.left, r.top, r.right, r.bottom],
                        [s.left, s.top, s.right, s.bottom]]; })
              .filter(([_, r, b]) => r.left < b[0] - 0.5 || r.right > b[2] + 0.5
                                     || r.top < b[1] - 0.5 || r.bottom > b[3] + 0.5); }""")
    return out


def test_issue_21_timeline_labels_stay_inside_the_picture(
        visit: Visit, browser: Browser, tmp_path: Path) -> None:
    """In the report, and in a timeline made to push dates against the right edge (a tick
    48 minutes before the axis ends, a list entry months after the case)."""
    from datetime import UTC, datetime

    from cargotrace.publish.report.timeline import TimelineItem, render_timeline

    assert _texts_inside(visit, "section#timeline svg.timeline") == []

    def t(month: int, day: int, hour: int = 0) -> datetime:
        return datetime(2023, month, day, hour, tzinfo=UTC)

    items = [TimelineItem("late", "Evidence", "late", t(9, 2), t(12, 30), "evidence", "late"),
             TimelineItem("a", "Evidence", "a", t(9, 7), t(9, 8), "evidence", "a"),
             TimelineItem("after", "Evidence", "after", t(12, 1), t(12, 2), "evidence", "x")]
    page = tmp_path / "timeline.html"
    page.write_text("<!DOCTYPE html><html><body style='margin:0;width:700px'>"
                    + render_timeline(items, 0.2, (t(9, 7), t(9, 28, 20)))
                    + "</body></html>", encoding="utf-8")
    with open_offline(browser, page) as v:
        assert _texts_inside(v, "svg.timeline") == []


def test_issue_21_methods_cells_are_short(visit: Visit) -> None:
    items = visit.page.locator("section#methods ul.kv li")
    assert items.count() > 0
    assert max(items.evaluate_all(f"els => els.map({LINES})")) <= 2
    assert visit.page.locator("section#methods pre").count() == 0


@pytest.fixture(scope="module")
def store_visit(browser: Browser, tmp_path_factory: pytest.TempPathFactory,
                sim_store: Path) -> Iterator[Visit]:
    """The reference case's report over the simulated store (profiles, events, methods)."""
    import cargotrace

    with cargotrace.open_store(sim_store, read_only=True) as st:
        html = write_report(REFERENCE_CASE, tmp_path_factory.mktemp("store-report"), st)
    with open_offline(browser, html.html_path) as v:
        yield v


def test_issue_21_store_report_methods_and_events_read_well(store_visit: Visit,
                                                            sim_store: Path) -> None:
    """Detection runs: kind on one line, data end and run time on one line each (they took 8
    lines before), parameters as a short key = value list; vessel events name their places."""
    import cargotrace

    page = store_visit.page
    rows = page.locator("#detections tbody tr")
    assert rows.count() > 0
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        assert cells.nth(0).evaluate(LINES) == 1
        assert cells.nth(3).evaluate(LINES) <= 2  # data end, ran at (a screening has no end)
        assert rows.nth(i).evaluate("e => e.getBoundingClientRect().height") < 12 * 16
    with cargotrace.open_store(sim_store, read_only=True) as st:
        names = dict(st.con.execute("SELECT place_id, name FROM places").fetchall())
    places = [t for t in page.locator("table.events td.place").all_inner_texts() if t.strip()]
    assert places
    for text in places:
        ids = [w.strip(",") for w in text.split() if w.startswith("ct:")]
        assert ids and all(names[i] in text for i in ids), text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "report-store.png", full_page=True)
