"""Self-contained campaign reports: cumulative-volume charts (estimate band, claims as
points), the trips per vessel, the claims' verdicts in words, capacities, evidence and methods,
in one HTML file that opens offline (`--format pdf` prints it). Exports: `campaign_features`.

Python API: `write_campaign_report(campaign_file, out, store=None, fmt="html",
params=CampaignReportParams())`.
"""

from __future__ import annotations

from cargotrace.publish.campaign_report.write import (
    FORMATS,
    CampaignReport,
    write_campaign_report,
)
from cargotrace.publish.params import CampaignReportParams

__all__ = ["FORMATS", "CampaignReport", "CampaignReportParams", "write_campaign_report"]
