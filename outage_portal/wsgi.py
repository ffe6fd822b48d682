import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outage_portal.settings")
django_application = get_wsgi_application()

# Cached public pages and known short links are answered before Django (public_site/status/fast_wsgi.py).
from public_site.status.fast_wsgi import public_fast_path  # noqa: E402 - needs the settings loaded above

application = public_fast_path(django_application)
