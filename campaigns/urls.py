from campaigns.views import actions, approval, recipients, segments, templates, tracking, wizard

app_name = "campaigns"
urlpatterns = (
    wizard.urlpatterns
    + templates.urlpatterns
    + tracking.urlpatterns
    + recipients.urlpatterns
    + actions.urlpatterns
    + approval.urlpatterns
    + segments.urlpatterns  # uxreg: "Save as segment" on the audience step
)
