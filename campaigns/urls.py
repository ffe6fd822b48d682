from campaigns.views import tracking, wizard

app_name = "campaigns"
urlpatterns = wizard.urlpatterns + tracking.urlpatterns
