"""The Celery app. Workers run the thin tasks in ``notifications.tasks`` and ``campaigns.tasks``."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outage_portal.settings")

app = Celery("outage_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _prepare_filesystem_broker() -> None:
    """The embedded broker keeps messages as files; its folders must exist before the first send."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


# The visibility timeout must be set everywhere Celery reads it (celery docs, redis.rst): the broker transport
# options (settings), the result backend transport options, and app.conf.visibility_timeout.
app.conf.result_backend_transport_options = dict(app.conf.broker_transport_options or {})
app.conf.visibility_timeout = (app.conf.broker_transport_options or {}).get("visibility_timeout", 3600)
_prepare_filesystem_broker()
app.autodiscover_tasks()
