"""`cargotrace report`: build the case, gather the report's content, write the HTML (and the
PDF from the same HTML).

Why the report rebuilds the case instead of reading the `hypotheses` table: the report must show
the routes' geometry and the reasoning, which only a build has, and a rebuild from the same case
file and store gives the same ranking (the build is deterministic), so nothing goes stale.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from cargotrace.cache import write_atomic
from cargotrace.cases import CaseResult, build_case, read_case
from cargotrace.cases.load import case_path
from cargotrace.errors import ParamsError
from cargotrace.publish.params import ReportParams
from cargotrace.publish.report.content import report_content
from cargotrace.publish.report.render import render_html
from cargotrace.store.store import Store

__all__ = ["FORMATS", "Report", "write_report"]

logger = logging.getLogger(__name__)
FORMATS = ("html", "pdf")


@dataclass
class Report:
    html_path: Path
    pdf_path: Path | None
    result: CaseResult
    elapsed_s: float

    @property
    def path(self) -> Path:
        """The file the user asked for."""
        return self.pdf_path or self.html_path


def write_report(case_file: Path, out_dir: Path, store: Store | None = None, *,
                 fmt: str = "html", params: ReportParams | None = None,
                 store_path: Path | None = None,
                 result: CaseResult | None = None) -> Report:
    """Write `<case>.html` (and `<case>.pdf` for fmt="pdf") into `out_dir`; or, when `out_dir`
    names a file (`report.html`, `report.pdf`: not an existing folder), write there (and the
    PDF beside it with the same stem): users type `--out report.html` and expect a file.

    `result` reuses a case already built against the same store (the demo builds it once).
    """
    if fmt not in FORMATS:
        raise ParamsError(f"report format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    params = params or ReportParams()
    case_file = case_path(case_file)
    named = _named_file(out_dir)
    if named is None and out_dir.exists() and not out_dir.is_dir():  # before case building
        raise ParamsError(f"--out {out_dir}: is a file; give a folder or a .html/.pdf name")
    started = time.perf_counter()
    if result is None:
        result = build_case(read_case(case_file), store)
    if store_path is None and store is not None:
        store_path = store.path
    content = report_content(case_file, result, store, store_path, params, (out_dir, fmt))
    html = render_html(content, params)
    stem = named if named is not None else out_dir / result.case.case
    html_path = stem.with_name(stem.name + ".html")

    def _write(tmp: str) -> None:
        Path(tmp).write_text(html, encoding="utf-8")

    write_atomic(html_path, _write)
    pdf_path = None
    if fmt == "pdf":
        from cargotrace.publish.pdf import html_to_pdf

        pdf_path = html_to_pdf(html_path, stem.with_name(stem.name + ".pdf"))
    elapsed = time.perf_counter() - started
    logger.info("report %s written in %.1f s", html_path, elapsed)
    return Report(html_path, pdf_path, result, elapsed)


def _named_file(out: Path) -> Path | None:
    """The report's path without its suffix when `out` names a .html/.pdf file, else None."""
    if out.suffix.lower() in (".html", ".htm", ".pdf") and not out.is_dir():
        return out.with_suffix("")
    return None
