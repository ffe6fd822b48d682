"""Outage Portal settings, read from environment variables.

Every default needs no server: SQLite in WAL mode and a filesystem Celery broker under ``var/``, so a fresh
laptop runs the whole flow with ``make run``. Production sets ``DATABASE_URL``, ``CELERY_BROKER_URL`` and the
``INFOBIP_*`` variables (see README, "Configuration", and ``.env.example``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import overload

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))


@overload
def env(name: str) -> str | None: ...
@overload
def env(name: str, default: str) -> str: ...
def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
IS_PRODUCTION = env_bool("PORTAL_PRODUCTION", False)
SECRET_KEY = env("SECRET_KEY") or env("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if IS_PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when PORTAL_PRODUCTION=1")
    # A laptop (make run) signs with a key of its own, made once in var/secret_key and kept: never a key in the source.
    from outage_portal.local_secret import local_secret_key

    SECRET_KEY = local_secret_key(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
# Languages clients may prefer, templates may hold and customer pages speak: any code Django knows (es, pt-br, …).
# Texts without a translation in a language (locale/) fall back to English.
from outage_portal.languages import portal_languages  # noqa: E402

LANGUAGES = portal_languages(env_list("PORTAL_LANGUAGES", "en,fr,de"))
# The zone a client's dates and times are written in when the client has none of its own (an IANA name).
CLIENT_DEFAULT_TIME_ZONE = env("CLIENT_DEFAULT_TIME_ZONE", TIME_ZONE)
LOCALE_PATHS = [BASE_DIR / "locale"]
# Region used to parse phone numbers written without a country code.
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", "FR")

# APPS
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
]
LOCAL_APPS = [
    "clients",
    "notifications",
    "campaigns",
    "public_site",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "outage_portal.logging.RequestIdMiddleware",
    "outage_portal.health.HealthCheckMiddleware",
    "outage_portal.request_guard.NulGuardMiddleware",
    # Public pages and short links for the crowd, from the cache, before sessions and CSRF (docs/public.md).
    "public_site.status.middleware.PublicPageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "outage_portal.urls"
WSGI_APPLICATION = "outage_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "outage_portal.staff_warning.staff_warnings",
            ],
        },
    },
]

# DATABASES
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-notes
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    # Health checks: a connection kept across requests is tested before reuse, so a restarted PostgreSQL costs a
    # reconnect, not one failed request or task per process (seen in the stack test's PostgreSQL restart).
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(VAR_DIR / "portal.sqlite3")),
            "OPTIONS": {
                # WAL lets the web process read while the worker writes; the busy timeout waits for the lock.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith(("postgresql", "postgis"))

# AUTH
# ------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# STATIC
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "outage_portal.storage.PortalStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not IS_PRODUCTION

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# CACHE (login throttle, sign-up throttle)
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL") or (
    env("CELERY_BROKER_URL") if (env("CELERY_BROKER_URL") or "").startswith("redis") else None
)
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
        }
    }

# CELERY
# ------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# The database is the source of truth; a Celery message is only a doorbell, so a lost or repeated task costs nothing.
# "localhost": kombu warns "No hostname was supplied" on every connection to a URL without one.
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or "filesystem://localhost//"
BROKER_IS_FILESYSTEM = CELERY_BROKER_URL.startswith("filesystem://")
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
if BROKER_IS_FILESYSTEM:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # kombu's default is ./control, in the checkout
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic doorbells (idempotent; the database holds every retry time, so no task needs a long countdown).
CELERY_BEAT_SCHEDULE = {
    "notifications-sweep": {
        "task": "notifications.tasks.sweep_task",
        "schedule": env_float("DISPATCH_SWEEP_SECONDS", 5),
        "options": {"expires": 30},
    },
    "notifications-reconcile-leases": {
        "task": "notifications.tasks.reconcile_task",
        "schedule": env_float("DISPATCH_SWEEP_SECONDS", 5) * 2,
        "options": {"expires": 30},
    },
    "notifications-pull-reports": {
        "task": "notifications.tasks.pull_reports_task",
        "schedule": env_float("DISPATCH_REPORT_PULL_SECONDS", 60),
        "options": {"expires": 120},
    },
}
CELERY_TIMEZONE = TIME_ZONE

# INFOBIP
# ------------------------------------------------------------------------------
# API facts and sources: docs/infobip.md. The default points at the bundled sandbox (python -m infobip_sandbox).
INFOBIP_BASE_URL = env("INFOBIP_BASE_URL", "http://127.0.0.1:8025")
INFOBIP_API_KEY = env("INFOBIP_API_KEY")
if not INFOBIP_API_KEY:
    if IS_PRODUCTION:
        raise ImproperlyConfigured("INFOBIP_API_KEY must be set when PORTAL_PRODUCTION=1")
    INFOBIP_API_KEY = "sandbox-key"
INFOBIP_SMS_SENDER = env("INFOBIP_SMS_SENDER", "OutageInfo")
INFOBIP_EMAIL_SENDER = env("INFOBIP_EMAIL_SENDER", "Outage Portal <status@example.com>")
# Viber and WhatsApp (Infobip's Messages API) are offered only once their sender is set: the Viber business sender
# name and the WhatsApp business number registered with Infobip (docs/channels.md).
INFOBIP_VIBER_SENDER = env("INFOBIP_VIBER_SENDER", "")
INFOBIP_WHATSAPP_SENDER = env("INFOBIP_WHATSAPP_SENDER", "")
# Push (docs/channels.md). Web push (VAPID, RFC 8292) is offered once VAPID_PRIVATE_KEY is set: the key pair from
# `manage.py vapid_keys` (base64url, raw P-256). `make run` writes one to var/vapid.json, read here when unset.
_VAPID_FILE = VAR_DIR / "vapid.json"
_vapid_dev: dict[str, str] = {}
if not IS_PRODUCTION and not env("VAPID_PRIVATE_KEY") and _VAPID_FILE.is_file():
    import json as _json

    _vapid_dev = _json.loads(_VAPID_FILE.read_text())
VAPID_PUBLIC_KEY = env("VAPID_PUBLIC_KEY") or _vapid_dev.get("public_key", "")
VAPID_PRIVATE_KEY = env("VAPID_PRIVATE_KEY") or _vapid_dev.get("private_key", "")
VAPID_SUBJECT = env("VAPID_SUBJECT", "mailto:status@example.com")
# Push service hosts a subscription's endpoint may name (suffix match, e.g. "fcm.googleapis.com,push.apple.com");
# empty: any public host. Private, loopback and link-local addresses are refused unless WEBPUSH_ALLOW_PRIVATE.
WEBPUSH_ALLOWED_HOSTS = env_list("WEBPUSH_ALLOWED_HOSTS")
WEBPUSH_ALLOW_PRIVATE = env_bool("WEBPUSH_ALLOW_PRIVATE", not IS_PRODUCTION)
WEBPUSH_TTL_SECONDS = env_int("WEBPUSH_TTL_SECONDS", 12 * 3600)
# App push through Firebase Cloud Messaging's HTTP v1 API, offered once FCM_PROJECT_ID is set; the service account's
# JSON key file gives the OAuth2 token (its token_uri is honoured, so the sandbox can play Google's token endpoint).
FCM_PROJECT_ID = env("FCM_PROJECT_ID", "")
FCM_CREDENTIALS_FILE = env("FCM_CREDENTIALS_FILE", "")
FCM_BASE_URL = env("FCM_BASE_URL", "https://fcm.googleapis.com").rstrip("/")
# Both push providers send one request per device, this many at a time, with these timeouts.
PUSH_CONCURRENCY = env_int("PUSH_CONCURRENCY", 8)
PUSH_TIMEOUT_CONNECT = env_float("PUSH_TIMEOUT_CONNECT", 3.0)
PUSH_TIMEOUT_READ = env_float("PUSH_TIMEOUT_READ", 10.0)
# Accepted webhook secrets, comma-separated; the first is put in new report URLs, the rest still work (rotation).
INFOBIP_WEBHOOK_SECRETS = env_list("INFOBIP_WEBHOOK_SECRET", "" if IS_PRODUCTION else "dev-webhook-secret")
if IS_PRODUCTION and not INFOBIP_WEBHOOK_SECRETS:
    raise ImproperlyConfigured("INFOBIP_WEBHOOK_SECRET must be set when PORTAL_PRODUCTION=1")
INFOBIP_TIMEOUT_CONNECT = env_float("INFOBIP_TIMEOUT_CONNECT", 5.0)
INFOBIP_TIMEOUT_READ = env_float("INFOBIP_TIMEOUT_READ", 30.0)
INFOBIP_MESSAGE_ID_PREFIX = env("INFOBIP_MESSAGE_ID_PREFIX", "op")
# Channels on which Infobip has enabled idempotent sending for the account (e.g. "sms,email"): a resend it rejects as
# a duplicate of our messageId is recorded as accepted (docs/infobip.md). Empty: off.
INFOBIP_IDEMPOTENT_CHANNELS = env_list("INFOBIP_IDEMPOTENT_CHANNELS")
PORTAL_BASE_URL = env("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Dotted path of the provider class; tests may swap it, as EMAIL_BACKEND is swapped.
NOTIFICATIONS_PROVIDER = env("NOTIFICATIONS_PROVIDER", "notifications.providers.infobip.InfobipProvider")

# SECOND PROVIDERS AND THE CIRCUIT BREAKER (docs/providers.md)
# ------------------------------------------------------------------------------
# A second provider per channel, off unless named: "twilio" for SMS, "postmark" (through django-anymail) for email.
SMS_SECONDARY_PROVIDER = env("SMS_SECONDARY_PROVIDER", "")
EMAIL_SECONDARY_PROVIDER = env("EMAIL_SECONDARY_PROVIDER", "")
# Consecutive timeouts / 5xx / lost connections after which a channel moves to its secondary, and the seconds it
# stays there before one batch probes the primary again.
PROVIDER_BREAKER_FAILURES = env_int("PROVIDER_BREAKER_FAILURES", 3)
PROVIDER_BREAKER_COOLDOWN_SECONDS = env_float("PROVIDER_BREAKER_COOLDOWN_SECONDS", 30)
TWILIO_BASE_URL = env("TWILIO_BASE_URL", "https://api.twilio.com")
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = env("TWILIO_FROM", "")  # an E.164 number of the account, or a Messaging Service SID (MG…)
TWILIO_CONCURRENCY = env_int("TWILIO_CONCURRENCY", 8)  # Twilio takes one message per request: requests in parallel
# Handed to django-anymail's Postmark backend as its POSTMARK_API_URL / POSTMARK_SERVER_TOKEN (EMAIL_BACKEND unchanged).
POSTMARK_API_URL = env("POSTMARK_API_URL", "https://api.postmarkapp.com/")
POSTMARK_SERVER_TOKEN = env("POSTMARK_SERVER_TOKEN", "")
POSTMARK_FROM = env("POSTMARK_FROM", "")  # a confirmed sender signature; empty: INFOBIP_EMAIL_SENDER
POSTMARK_MESSAGE_STREAM = env("POSTMARK_MESSAGE_STREAM", "outbound")
if IS_PRODUCTION and SMS_SECONDARY_PROVIDER == "twilio" and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN):
    raise ImproperlyConfigured("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set for SMS_SECONDARY_PROVIDER")
if IS_PRODUCTION and EMAIL_SECONDARY_PROVIDER == "postmark" and not POSTMARK_SERVER_TOKEN:
    raise ImproperlyConfigured("POSTMARK_SERVER_TOKEN must be set for EMAIL_SECONDARY_PROVIDER")

# DISPATCH
# ------------------------------------------------------------------------------
DISPATCH_BATCH_SIZE = env_int("DISPATCH_BATCH_SIZE", 1000)
DISPATCH_LEASE_SECONDS = env_int("DISPATCH_LEASE_SECONDS", 120)
DISPATCH_MAX_ATTEMPTS = env_int("DISPATCH_MAX_ATTEMPTS", 8)
DISPATCH_SMS_RATE_PER_SECOND = env_float("DISPATCH_SMS_RATE_PER_SECOND", 0)  # 0 = unlimited
DISPATCH_EMAIL_RATE_PER_SECOND = env_float("DISPATCH_EMAIL_RATE_PER_SECOND", 0)
DISPATCH_VIBER_RATE_PER_SECOND = env_float("DISPATCH_VIBER_RATE_PER_SECOND", 0)
DISPATCH_WHATSAPP_RATE_PER_SECOND = env_float("DISPATCH_WHATSAPP_RATE_PER_SECOND", 0)
# Dispatch tasks started per send and channel, so several workers share one send.
DISPATCH_PARALLELISM = env_int("DISPATCH_PARALLELISM", 2)
# Materialize writes a send's rows in chunks of at most this many recipients, each committed on its own; dispatch
# starts on the first chunk (of 1,000) instead of waiting for the whole audience (docs/dispatch.md).
MATERIALIZE_CHUNK_SIZE = env_int("MATERIALIZE_CHUNK_SIZE", 50_000)
# Send and record one batch in a thread while the next is claimed and rendered (PostgreSQL only).
DISPATCH_PIPELINE = env_bool("DISPATCH_PIPELINE", True)
# After an unknown outcome (timeout, 5xx), wait this long before asking the provider's logs what it received.
DISPATCH_AMBIGUOUS_GRACE_SECONDS = env_float("DISPATCH_AMBIGUOUS_GRACE_SECONDS", 5)
# Added to the longest request (connect + body + read timeouts): a claim must have that much lease left to send, and
# its rows are taken over only that long after the lease ends (docs/dispatch.md, "The fence").
DISPATCH_REQUEST_MARGIN_SECONDS = env_float("DISPATCH_REQUEST_MARGIN_SECONDS", 5)
# The sweeper re-kicks sends with due work and starts scheduled sends; the reconciler checks expired leases.
DISPATCH_SWEEP_SECONDS = env_float("DISPATCH_SWEEP_SECONDS", 5)
# Messages accepted longer than this without a final report are pulled / looked up at the provider.
DISPATCH_REPORT_PULL_AFTER_MINUTES = env_int("DISPATCH_REPORT_PULL_AFTER_MINUTES", 15)
DISPATCH_REPORT_PULL_SECONDS = env_float("DISPATCH_REPORT_PULL_SECONDS", 60)
# How long a notice's messages may go out after its send starts, per kind ("kind:hours,…"; the outage form can
# change it per notice). Messages not accepted by then become "expired" and are never sent (docs/dispatch.md).
NOTICE_VALIDITY_HOURS = {
    kind: int(hours)
    for kind, _sep, hours in (
        item.partition(":")
        for item in env_list("NOTICE_VALIDITY_HOURS", "outage:4,degraded:4,update:4,resolved:12,maintenance:24")
    )
}
# A failover chain moves a client to its next channel when a message is not delivered within this many minutes,
# per kind ("kind:minutes,…"; the outage form can change it per notice; docs/channels.md, "Failover").
FAILOVER_WAIT_MINUTES = {
    kind: int(minutes)
    for kind, _sep, minutes in (
        item.partition(":")
        for item in env_list("FAILOVER_WAIT_MINUTES", "outage:5,degraded:5,update:10,resolved:30,maintenance:30")
    )
}
# At most N non-mandatory notices per client per period ("3/hour"; units second, minute, hour, day; empty: no
# cap). A client over it is excluded as "frequency_cap", counted in the outage form like any exclusion.
NOTICE_FREQUENCY_CAP = env("NOTICE_FREQUENCY_CAP", "")
_CAP_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_cap_count, _sep, _cap_unit = NOTICE_FREQUENCY_CAP.replace(" ", "").partition("/")
if NOTICE_FREQUENCY_CAP and not (_cap_count.isdigit() and _cap_unit.rstrip("s") in _CAP_UNITS):
    raise ImproperlyConfigured('NOTICE_FREQUENCY_CAP is "N/unit" (second, minute, hour, day), e.g. "3/hour"')
NOTICE_FREQUENCY_CAP_COUNT = int(_cap_count) if NOTICE_FREQUENCY_CAP else 0
NOTICE_FREQUENCY_CAP_SECONDS = _CAP_UNITS.get(_cap_unit.rstrip("s"), 0)
# Quiet hours in the recipient's local time ("21:00-08:00"; empty: none). Messages of the kinds below (never
# mandatory ones) to a client whose local time is inside the window wait until it ends (docs/dispatch.md, "Time").
QUIET_HOURS = env("QUIET_HOURS", "")
if QUIET_HOURS.strip() and not re.match(
    r"^\s*([01]?\d|2[0-3]):[0-5]\d\s*-\s*([01]?\d|2[0-3]):[0-5]\d\s*$", QUIET_HOURS
):
    raise ImproperlyConfigured('QUIET_HOURS is "HH:MM-HH:MM" in local time, e.g. "21:00-08:00"')
# The notice kinds (clients' preference kinds: outage, maintenance, update) that wait for quiet hours to end.
QUIET_HOURS_KINDS = env_list("QUIET_HOURS_KINDS", "maintenance")
# Audiences larger than this need a second person with the approve permission.
APPROVAL_THRESHOLD = env_int("APPROVAL_THRESHOLD", 1000)
# Remove message bodies and raw reports older than this many days (counts are kept).
RETENTION_DAYS = env_int("RETENTION_DAYS", 90)

# SECURITY
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if IS_PRODUCTION:
    # TLS ends at the reverse proxy, which must set X-Forwarded-Proto (docs/production.md).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Prometheus scrapes over the internal network in plain HTTP; /healthz and /readyz answer before any redirect.
    SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # The public address is trusted for CSRF unless CSRF_TRUSTED_ORIGINS says otherwise.
    CSRF_TRUSTED_ORIGINS = CSRF_TRUSTED_ORIGINS or [PORTAL_BASE_URL]
# Content-Security-Policy on every response (django-csp): scripts, styles, images and fonts from this origin
# only, no inline script or event handler anywhere (templates load static/js/*), nothing from the internet. Style
# attributes stay allowed (progress bars set their width in the markup); <style> elements do not (htmx's
# indicator styles are off, in static/css). The email preview's srcdoc frame inherits the policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Login throttle (outage_portal/throttle.py): failed attempts per username and client address.
LOGIN_THROTTLE_ATTEMPTS = env_int("LOGIN_THROTTLE_ATTEMPTS", 5)
LOGIN_THROTTLE_WINDOW_SECONDS = env_int("LOGIN_THROTTLE_WINDOW_SECONDS", 15 * 60)
LOGIN_THROTTLE_LOCK_SECONDS = env_int("LOGIN_THROTTLE_LOCK_SECONDS", 15 * 60)
# Failed logins from one address across all usernames in the window before that address is locked.
LOGIN_THROTTLE_IP_ATTEMPTS = env_int("LOGIN_THROTTLE_IP_ATTEMPTS", 20)
# CSV files larger than this are refused by the admin's import page (manage.py import_clients has no limit).
CLIENT_IMPORT_MAX_BYTES = env_int("CLIENT_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
# Reverse proxies in front of the portal that append to X-Forwarded-For; 0 = use REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# OPERATIONS: health, metrics, retention
# ------------------------------------------------------------------------------
# Bearer token Prometheus sends to /metrics (staff sessions work too). Empty: staff only.
METRICS_TOKEN = env("METRICS_TOKEN", "")
# A worker counts as alive while its last heartbeat (outage_portal/heartbeat.py) is younger than this.
WORKER_HEARTBEAT_MAX_AGE_SECONDS = env_int("WORKER_HEARTBEAT_MAX_AGE_SECONDS", 60)
WORKER_HEARTBEAT_WRITE_SECONDS = env_int("WORKER_HEARTBEAT_WRITE_SECONDS", 10)
READYZ_DATABASE_ALIAS = "default"
READYZ_TIMEOUT_SECONDS = env_float("READYZ_TIMEOUT_SECONDS", 2.0)
# These extend (never replace) any task modules and beat entries the CELERY section above declares.
CELERY_IMPORTS = (*globals().get("CELERY_IMPORTS", ()), "notifications.retention", "outage_portal.heartbeat")
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "retention": {"task": "notifications.retention.retention_task", "schedule": crontab(hour=3, minute=17)},
}

# LOGGING
# ------------------------------------------------------------------------------
# JSON lines in production (LOG_FORMAT=json), plain text on a laptop. Every handler masks phone numbers, emails
# and secrets, and stamps the request id and the campaign, send and message ids (outage_portal/logging.py).
LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOG_FORMAT = env("LOG_FORMAT", "json" if IS_PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"portal": {"()": "outage_portal.logging.PortalLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "outage_portal.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["portal"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's request lines (make run): through the masking handler, not Django's own.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
# `make run` (run_embedded) sets PORTAL_QUIET_LOGS=1: no line per task run, beat tick or page served (warnings and
# errors still show), so its terminal keeps the ready banner and the demo logins in view.
_QUIET = ("celery.worker.strategy", "celery.app.trace", "celery.beat", "django_celery_beat.schedulers")
if env_bool("PORTAL_QUIET_LOGS", False):
    LOGGING["loggers"] = {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        **{name: {"level": "WARNING"} for name in _QUIET},
    }

# OUTAGE FORM
# ------------------------------------------------------------------------------
# Scheduled notices and the reminders of repeating ones start when due (campaigns.tasks), as often as the sweeper.
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "campaigns-due": {
        "task": "campaigns.tasks.notices_due_task",
        "schedule": env_float("DISPATCH_SWEEP_SECONDS", 5),
        "options": {"expires": 30},
    },
}
# Test sends each person may make per window (real SMS cost money and land on colleagues' phones).
TEST_SEND_LIMIT = env_int("TEST_SEND_LIMIT", 10)
TEST_SEND_WINDOW_SECONDS = env_int("TEST_SEND_WINDOW_SECONDS", 3600)
# Replies (notifications/replies/): a reply belongs to the last message sent to its number on its channel within
# this many days; STOP / START confirmations per number per day (so nobody can make the portal spam a phone).
REPLY_MATCH_DAYS = env_int("REPLY_MATCH_DAYS", 7)
REPLY_CONFIRMATIONS_PER_DAY = env_int("REPLY_CONFIRMATIONS_PER_DAY", 3)
# Email to staff (approvers told a notice waits, authors told it was declined): files in var/mail on a laptop,
# SMTP in production. Customer emails go through Infobip, never through this.
_EMAIL_KIND = "smtp" if IS_PRODUCTION else "filebased"
EMAIL_BACKEND = env("EMAIL_BACKEND", f"django.core.mail.backends.{_EMAIL_KIND}.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Outage Portal <portal@localhost>")

# PUBLIC STATUS PAGE (docs/public.md)
# ------------------------------------------------------------------------------
# Public pages are rendered once per change, language and time zone and kept at most this long.
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 60)
# How often each process asks the cache whether public pages changed (a change reaches every process within this).
PUBLIC_VERSION_CHECK_SECONDS = env_float("PUBLIC_VERSION_CHECK_SECONDS", 1.0)
# What browsers and shared caches may keep a public page for without asking again (they revalidate with the ETag).
PUBLIC_BROWSER_MAX_AGE = env_int("PUBLIC_BROWSER_MAX_AGE", 0)
# Short-link clicks counted in Redis are moved to the database this often.
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "public-clicks-flush": {
        "task": "campaigns.tasks.clicks_flush_task",
        "schedule": env_float("PUBLIC_CLICKS_FLUSH_SECONDS", 60),
        "options": {"expires": 120},
    },
}
