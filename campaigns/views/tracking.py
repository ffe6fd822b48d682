"""Campaign list, campaign page, recipients, failures, follow-ups. Owned by the tracking work."""

urlpatterns: list = []
