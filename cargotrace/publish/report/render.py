"""Report content → one self-contained HTML file (inline CSS and SVG; no scripts, no fonts,
images or styles fetched from anywhere).

Why Jinja2 with autoescaping: evidence text is written by analysts and quoted from sources; every
value is escaped unless it is markup this package generated itself (the SVG map and timeline).
"""

from __future__ import annotations

from importlib import resources

import jinja2

from cargotrace.publish.params import ReportParams
from cargotrace.publish.report.content import ReportContent
from cargotrace.version import __version__

__all__ = ["render_html"]


def _template_text(name: str) -> str:
    return (resources.files("cargotrace.publish.report") / "templates" / name).read_text(
        encoding="utf-8")


def render_html(content: ReportContent, params: ReportParams) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=False, lstrip_blocks=False)
    template = env.from_string(_template_text("report.html.j2"))
    return template.render(c=content, s=content.summary, m=content.methods, params=params,
                           css=_template_text("report.css"), version=__version__)
