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

from cargotrace.cache import write_atomic
from cargotrace.cases.campaign import CampaignResult, build_campaign, read_campaign
from cargotrace.cases.campaign.load import campaign_path
from cargotrace.errors import ParamsError
from cargotrace.publish.campaign_report.content import (
    CampaignReportContent,
    campaign_report_content,
)
from cargotrace.publish.params import CampaignReportParams
from cargotrace.store.store import Store
from cargotrace.version import __version__

__all__ = ["FORMATS", "CampaignReport", "render_campaign_html", "write_campaign_report"]

logger = logging.getLogger(__name__)
FORMATS = ("html", "pdf")


@dataclass
class CampaignReport:
    html_path: Path
    pdf_path: Path | None
    result: CampaignResult
    elapsed_s: float

    @property
    def path(self) -> Path:
        """The file the user asked for."""
        return self.pdf_path or self.html_path


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


def _named_file(out: Path) -> Path | None:
    if out.suffix.lower() in (".html", ".htm", ".pdf") and not out.is_dir():
        return out.with_suffix("")
    return None


def write_campaign_report(campaign_file: Path | str, out: Path, store: Store | None = None, *,
                          fmt: str = "html", params: CampaignReportParams | None = None,
                          store_path: Path | None = None,
                          result: CampaignResult | None = None) -> CampaignReport:
    """Write `<campaign>.html` (and `.pdf` for fmt="pdf") into the folder `out`, or to `out`
    itself when it names a .html/.pdf file. `campaign_file` may be a packaged campaign's name.
    `result` reuses a campaign already built against the same store."""
    if fmt not in FORMATS:
        raise ParamsError(f"report format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    params = params or CampaignReportParams()
    path = campaign_path(campaign_file)
    named = _named_file(out)
    if named is None and out.exists() and not out.is_dir():
        raise ParamsError(f"--out {out}: is a file; give a folder or a .html/.pdf name")
    started = time.perf_counter()
    if result is None:
        result = build_campaign(read_campaign(path), store, source_path=str(path))
    if store_path is None and store is not None:
        store_path = store.path
    content = campaign_report_content(path, result, store, store_path, params, (out, fmt))
    html = render_campaign_html(content)
    stem = named if named is not None else out / result.campaign.campaign
    html_path = stem.with_name(stem.name + ".html")

    def _write(tmp: str) -> None:
        Path(tmp).write_text(html, encoding="utf-8")

    write_atomic(html_path, _write)
    pdf_path = None
    if fmt == "pdf":
        from cargotrace.publish.pdf import html_to_pdf

        pdf_path = html_to_pdf(html_path, stem.with_name(stem.name + ".pdf"))
    elapsed = time.perf_counter() - started
    logger.info("campaign report %s written in %.1f s", html_path, elapsed)
    return CampaignReport(html_path, pdf_path, result, elapsed)
