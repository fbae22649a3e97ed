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

from cargotrace.cases import CaseResult, build_case, read_case
from cargotrace.cases.load import case_path
from cargotrace.publish.params import ReportParams
from cargotrace.publish.report.content import report_content
from cargotrace.publish.report.render import render_html
from cargotrace.publish.report_files import (
    FORMATS,
    WrittenReport,
    named_output,
    write_html_and_pdf,
)
from cargotrace.store.store import Store

__all__ = ["FORMATS", "Report", "write_report"]

logger = logging.getLogger(__name__)


@dataclass
class Report(WrittenReport):
    result: CaseResult


def write_report(case_file: Path, out_dir: Path, store: Store | None = None, *,
                 fmt: str = "html", params: ReportParams | None = None,
                 store_path: Path | None = None,
                 result: CaseResult | None = None) -> Report:
    """Write `<case>.html` (and `<case>.pdf` for fmt="pdf") into `out_dir`; or, when `out_dir`
    names a file (`report.html`, `report.pdf`: not an existing folder), write there (and the
    PDF beside it with the same stem): users type `--out report.html` and expect a file.

    `result` reuses a case already built against the same store (the demo builds it once).
    """
    named = named_output(out_dir, fmt)  # checked before the case is built
    params = params or ReportParams()
    case_file = case_path(case_file)
    started = time.perf_counter()
    if result is None:
        result = build_case(read_case(case_file), store)
    if store_path is None and store is not None:
        store_path = store.path
    content = report_content(case_file, result, store, store_path, params, (out_dir, fmt))
    html = render_html(content, params)
    stem = named if named is not None else out_dir / result.case.case
    html_path, pdf_path = write_html_and_pdf(html, stem, fmt)
    elapsed = time.perf_counter() - started
    logger.info("report %s written in %.1f s", html_path, elapsed)
    return Report(html_path, pdf_path, elapsed, result)

