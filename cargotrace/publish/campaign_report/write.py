"""`cargotrace campaign report`: build the campaign, gather the report's content, write the
HTML (and the PDF printed from it), as case reports do.

Why a rebuild rather than a stored result: the build is deterministic (seeded draws), so a
rebuild from the same file and store gives the same numbers, and nothing goes stale.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

from cargotrace.cases.campaign import CampaignResult, build_campaign, read_campaign
from cargotrace.cases.campaign.load import campaign_path
from cargotrace.publish.campaign_report.content import (
    CampaignReportContent,
    campaign_report_content,
)
from cargotrace.publish.params import CampaignReportParams
from cargotrace.publish.report_files import (
    FORMATS,
    WrittenReport,
    named_output,
    write_html_and_pdf,
)
from cargotrace.store.store import Store
from cargotrace.version import __version__

__all__ = ["FORMATS", "CampaignReport", "render_campaign_html", "write_campaign_report"]

logger = logging.getLogger(__name__)


@dataclass
class CampaignReport(WrittenReport):
    result: CampaignResult


def _template_text(name: str) -> str:
    return (resources.files("cargotrace.publish.report") / "templates" / name).read_text(
        encoding="utf-8")


def render_campaign_html(content: CampaignReportContent) -> str:
    """The one self-contained HTML file: the case report's stylesheet, inline SVG, no scripts;
    every value autoescaped except the SVG this package generated."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_template_text("campaign.html.j2"))
    return template.render(c=content, s=content.summary, m=content.methods,
                           css=_template_text("report.css"), version=__version__)


def write_campaign_report(campaign_file: Path | str, out: Path, store: Store | None = None, *,
                          fmt: str = "html", params: CampaignReportParams | None = None,
                          store_path: Path | None = None,
                          result: CampaignResult | None = None) -> CampaignReport:
    """Write `<campaign>.html` (and `.pdf` for fmt="pdf") into the folder `out`, or to `out`
    itself when it names a .html/.pdf file. `campaign_file` may be a packaged campaign's name.
    `result` reuses a campaign already built against the same store."""
    named = named_output(out, fmt)  # checked before the campaign is built
    params = params or CampaignReportParams()
    path = campaign_path(campaign_file)
    started = time.perf_counter()
    if result is None:
        result = build_campaign(read_campaign(path), store, source_path=str(path))
    if store_path is None and store is not None:
        store_path = store.path
    content = campaign_report_content(path, result, store, store_path, params, (out, fmt))
    html = render_campaign_html(content)
    stem = named if named is not None else out / result.campaign.campaign
    html_path, pdf_path = write_html_and_pdf(html, stem, fmt)
    elapsed = time.perf_counter() - started
    logger.info("campaign report %s written in %.1f s", html_path, elapsed)
    return CampaignReport(html_path, pdf_path, elapsed, result)
