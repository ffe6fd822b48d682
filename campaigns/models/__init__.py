"""The campaigns app's models: notices (incidents, templates, campaigns, their sends and audit trail) and the
monitoring API's tokens and alert routes. One module per concern; the API's models depend on the notices', not back.
"""

from campaigns.models.api import AlertLink, AlertRoute, ApiToken
from campaigns.models.notices import (
    NOTICE_KIND_FOR,
    Campaign,
    CampaignEvent,
    CampaignSend,
    Incident,
    IncidentKind,
    MessageTemplate,
    Severity,
    TemplateVersion,
)
from campaigns.models.public import PublicState, PublicUpdate, ShortLink

__all__ = [
    "AlertLink",
    "AlertRoute",
    "ApiToken",
    "Campaign",
    "CampaignEvent",
    "CampaignSend",
    "Incident",
    "IncidentKind",
    "MessageTemplate",
    "NOTICE_KIND_FOR",
    "PublicState",
    "PublicUpdate",
    "Severity",
    "ShortLink",
    "TemplateVersion",
]
