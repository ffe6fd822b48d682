from campaigns.views import templates, tracking, wizard

app_name = "campaigns"
urlpatterns = wizard.urlpatterns + templates.urlpatterns + tracking.urlpatterns
