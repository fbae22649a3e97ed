"""Self-contained case reports: map, timeline, ranked hypotheses, evidence with sources,
vessel profiles and methods in one HTML file that opens offline and prints on A4
(`--format pdf` prints the same HTML with a headless Chromium).

Python API: `write_report(case_file, out_dir, store=None, fmt="html", params=ReportParams())`.
"""

from __future__ import annotations

from cargotrace.publish.params import ReportParams
from cargotrace.publish.report.write import FORMATS, Report, write_report

__all__ = ["FORMATS", "Report", "ReportParams", "write_report"]
