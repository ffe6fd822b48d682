from campaigns.views import (
    actions,
    approval,
    drafts,
    maintenance,
    recipients,
    replies,
    segments,
    templates,
    tracking,
    wizard,
)

app_name = "campaigns"
urlpatterns = (
    wizard.urlpatterns
    + templates.urlpatterns
    + tracking.urlpatterns
    + replies.urlpatterns
    + recipients.urlpatterns
    + actions.urlpatterns
    + approval.urlpatterns
    + drafts.urlpatterns
    + maintenance.urlpatterns
    + segments.urlpatterns  # "Save as segment" on the audience step
)
