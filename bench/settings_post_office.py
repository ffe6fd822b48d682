"""Settings for the django-post_office peer only: the portal's settings plus ``post_office``, mail over SMTP to
the sink the benchmark starts (``BENCH_SMTP_PORT``). The portal itself never loads this module, so the app does not
leak into it; its tables live only in the benchmark's throw-away database.
"""

import os

from outage_portal.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "post_office"]  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("BENCH_SMTP_PORT", "25"))
EMAIL_USE_TLS = False
EMAIL_TIMEOUT = 30
# post_office's own batching and threads: BATCH_SIZE emails per send_queued() call, sent by THREADS_PER_PROCESS
# threads that each keep one SMTP connection open; LOG_LEVEL 1 writes a log row for failures only (2, the default,
# also writes one per success, which the engine does not do).
POST_OFFICE = {
    "BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"},
    "BATCH_SIZE": int(os.environ.get("BENCH_PO_BATCH", "500")),
    "THREADS_PER_PROCESS": int(os.environ.get("BENCH_PO_THREADS", "5")),
    "LOG_LEVEL": 1,
    "DEFAULT_PRIORITY": "medium",
    "CELERY_ENABLED": False,
    "MESSAGE_ID_ENABLED": True,
}
