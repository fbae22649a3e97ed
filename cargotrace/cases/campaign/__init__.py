"""Campaigns: shuttles and shipments over months, trips x capacity -> volume bands, official
claims tested against them (docs/concepts/campaigns.md).

Python API: `read_campaign(path) -> Campaign`, `check_campaign(path) -> CampaignCheck`,
`build_campaign(campaign, store=None, params=CampaignParams()) -> CampaignResult`
(`.to_dict()` is the `campaign build --json` contract).
"""

from __future__ import annotations

from cargotrace.cases.campaign.build import CampaignResult, build_campaign
from cargotrace.cases.campaign.claims import ClaimVerdict
from cargotrace.cases.campaign.load import CampaignCheck, check_campaign, read_campaign
from cargotrace.cases.campaign.params import CampaignParams
from cargotrace.cases.campaign.schema import Campaign

__all__ = ["Campaign", "CampaignCheck", "CampaignParams", "CampaignResult", "ClaimVerdict",
           "build_campaign", "check_campaign", "read_campaign"]
