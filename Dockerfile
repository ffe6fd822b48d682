# Outage Portal: one image for the web app, the Celery workers and beat (docker-compose.yml picks the command).
# BASE_IMAGE: any image with Python 3.11, `python` and `pip` on PATH. The stack test builds a local one from Debian
# (ops/stack/images/python) because CI cannot reach Docker Hub.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    PORTAL_VAR_DIR=/app/var

WORKDIR /app
RUN groupadd --system portal && useradd --system --gid portal --home-dir /app --shell /usr/sbin/nologin portal

# Behind a TLS-intercepting proxy, two optional build secrets reach PyPI without staying in the image:
# `ca_certs` (PEM certificates to trust besides the system ones) and `pip_conf` (a pip.conf: index URL, proxy).
# The usual proxy variables (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) pass as build arguments. docs/production.md.
COPY requirements.txt .
RUN --mount=type=secret,id=ca_certs --mount=type=secret,id=pip_conf \
    set -e; \
    if [ -s /run/secrets/ca_certs ]; then \
      cat /etc/ssl/certs/ca-certificates.crt /run/secrets/ca_certs > /tmp/build-ca.pem 2>/dev/null \
        || cat /run/secrets/ca_certs > /tmp/build-ca.pem; \
      export PIP_CERT=/tmp/build-ca.pem; \
    fi; \
    if [ -s /run/secrets/pip_conf ]; then export PIP_CONFIG_FILE=/run/secrets/pip_conf; fi; \
    pip install -r requirements.txt; \
    rm -f /tmp/build-ca.pem

COPY --chown=portal:portal . .

# Static files are hashed and compressed once, at build time. The values below only let the production settings
# load; none of them is used at run time.
RUN PORTAL_PRODUCTION=1 \
    SECRET_KEY=collectstatic-at-build-time-only-not-a-secret-0123456789 \
    INFOBIP_API_KEY=build INFOBIP_WEBHOOK_SECRET=build \
    python manage.py collectstatic --noinput \
 && mkdir -p /app/var && chown -R portal:portal /app/var /app/staticfiles

USER portal
EXPOSE 8000
CMD ["gunicorn", "outage_portal.wsgi", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "3"]
