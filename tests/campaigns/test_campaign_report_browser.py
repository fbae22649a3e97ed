"""Issue 15: the campaign report in a real browser (Debian's chromium through Playwright, as the
case report is tested in tests/publish/): it opens offline without errors, its cumulative-volume
chart and trip timeline are visible and not clipped when laid out for A4 printing, and it prints
to an A4 PDF that holds them. One browser for the module (tests/publish/browser.py)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from playwright.sync_api import Browser

from cargotrace.cases.campaign.load import campaign_path
from cargotrace.publish.campaign_report import CampaignReport, write_campaign_report
from tests.publish.browser import Visit, chromium, open_offline

A4_PT = (595.28, 841.89)
EXAMPLE = campaign_path("dprk-russia-2023-2025")
# A4 less the report's @page margins (12 mm left and right), in CSS pixels (96 per inch)
A4_CONTENT_PX = round((210 - 2 * 12) / 25.4 * 96)
FIGURES = "section#volume svg.volume-chart, section#trips svg.timeline"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> CampaignReport:
    return write_campaign_report(EXAMPLE, tmp_path_factory.mktemp("campaign") / "r.html")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def printed(browser: Browser, report: CampaignReport) -> Iterator[Visit]:
    """The report laid out as for printing, on a page as wide as A4's printable width."""
    with open_offline(browser, report.html_path) as v:
        v.page.emulate_media(media="print")
        v.page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1100})
        yield v


def test_opens_offline_without_errors(printed: Visit) -> None:
    assert printed.refused == []
    assert printed.console_errors == [] and printed.page_errors == []


def test_chart_and_timeline_are_visible_and_not_clipped(printed: Visit) -> None:
    """Every chart and the timeline: drawn (non-zero box), inside the printable width, and every
    shape inside them within the SVG's own box (nothing cut off by its viewport)."""
    found = printed.page.locator(FIGURES).evaluate_all("""els => els.map(svg => {
        const r = svg.getBoundingClientRect();
        const shapes = [...svg.querySelectorAll('rect, circle, path, line, polyline, polygon')]
            .map(e => e.getBoundingClientRect()).filter(b => b.width > 0 || b.height > 0);
        const out = shapes.filter(b => b.left < r.left - 1 || b.right > r.right + 1
                                       || b.top < r.top - 1 || b.bottom > r.bottom + 1);
        return {cls: svg.getAttribute('class'), w: r.width, h: r.height, right: r.right,
                visible: getComputedStyle(svg).visibility === 'visible'
                         && getComputedStyle(svg).display !== 'none',
                shapes: shapes.length, outside: out.length};
    })""")
    kinds = {f["cls"] for f in found}
    assert kinds == {"volume-chart", "timeline"}, found
    for f in found:
        assert f["visible"] and f["w"] > 200 and f["h"] > 80, f
        assert f["right"] <= A4_CONTENT_PX + 0.5, f
        assert f["shapes"] > 3 and f["outside"] == 0, f


def test_figures_are_kept_whole_on_a_page(printed: Visit) -> None:
    styles = printed.page.locator("section#volume figure, section#trips figure").evaluate_all(
        "els => els.map(e => getComputedStyle(e).breakInside)")
    assert len(styles) >= 2 and all(s.startswith("avoid") for s in styles), styles


def test_prints_to_an_a4_pdf_with_the_chart_and_timeline(printed: Visit,
                                                         report: CampaignReport) -> None:
    """The PDF Chromium prints (the report's @page size) is A4 on every page; its text holds
    the title, every claim id the chart plots and the timeline's vessel groups."""
    pdf = pypdf.PdfReader(io.BytesIO(printed.page.pdf(prefer_css_page_size=True,
                                                      print_background=True)))
    assert len(pdf.pages) >= 2
    for page in pdf.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4_PT[0]) <= 2 and abs(height - A4_PT[1]) <= 2, (width, height)
    text = "".join("".join(p.extract_text().split()) for p in pdf.pages)
    campaign = report.result.campaign
    assert "".join(campaign.title.split()) in text
    for claim in campaign.claims:
        assert claim.id in text, claim.id
    assert "Trips·" in text  # a timeline group label ("Trips · <vessel>")


def test_html_written_where_asked(report: CampaignReport) -> None:
    assert report.html_path.is_file() and Path(report.html_path).suffix == ".html"
