# Outage Portal: one image for the web app, the Celery workers and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    PORTAL_VAR_DIR=/app/var

WORKDIR /app
RUN groupadd --system portal && useradd --system --gid portal --home-dir /app --shell /usr/sbin/nologin portal

COPY requirements.txt .
RUN pip install -r requirements.txt

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
