"""The outage form (wizard). Owned by the wizard work."""

urlpatterns: list = []
