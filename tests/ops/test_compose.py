"""docker-compose.yml, .env.example, the Dockerfile and docs/production.md agree with each other and the settings.

No Docker engine runs here, so the Compose file is validated against the Compose Specification's JSON schema
(compose-spec/compose-spec: schema/compose-spec.json, vendored beside this test).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("compose-spec.json")
# Read by docker-compose.yml itself (interpolation, the postgres image), not by the portal's settings.
STACK_VARIABLES = {
    "POSTGRES_PASSWORD",
    "POSTGRES_USER",
    "POSTGRES_DB",
    "WEB_PORT",
    "GUNICORN_WORKERS",
    "WORKER_CONCURRENCY",
    "PORTAL_IMAGE",
    "POSTGRES_IMAGE",
    "REDIS_IMAGE",
    "PORTAL_ENV_FILE",
}
# Read by the settings but meaningless in production: laptop and test switches, and an alias. .env.example still
# lists them (commented), so it names every variable the settings read.
DEV_ONLY_VARIABLES = {"DEBUG", "SQLITE_PATH", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_SECRET_KEY", "PORTAL_VAR_DIR"}
REQUIRED_IN_PRODUCTION = {
    "PORTAL_PRODUCTION",
    "SECRET_KEY",
    "PORTAL_BASE_URL",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "INFOBIP_BASE_URL",
    "INFOBIP_API_KEY",
    "INFOBIP_WEBHOOK_SECRET",
    "POSTGRES_PASSWORD",
    "METRICS_TOKEN",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def settings_variables() -> set[str]:
    source = (ROOT / "outage_portal" / "settings.py").read_text()
    read = r'\b(?:env(?:_bool|_int|_float|_list)?|os\.environ\.get|os\.getenv)\("([A-Z][A-Z0-9_]*)"'
    return set(re.findall(read, source))


def env_example() -> dict[str, bool]:
    """Variable name → whether it is set (uncommented) in .env.example."""
    names: dict[str, bool] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=", line.strip())
        if match:
            names[match.group(2)] = match.group(1) is None
    return names


def compose_variables() -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))


def test_compose_file_is_valid_against_the_compose_specification(compose):
    """docker-compose.yml validates against the Compose Specification schema."""
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(compose)


def test_the_schema_check_catches_a_broken_file(compose):
    """The validation is real: an unknown service key is refused."""
    broken = json.loads(json.dumps(compose))
    broken["services"]["web"]["comand"] = "typo"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(broken)


def test_services_and_their_commands(compose):
    """postgres, redis, migrate, web (gunicorn), scalable worker, beat with the database scheduler, dev sandbox."""
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat", "sandbox"}
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["postgres"]["volumes"] and services["redis"]["volumes"]
    redis_command = services["redis"]["command"]
    assert redis_command[redis_command.index("--maxmemory-policy") + 1] == "noeviction"
    assert services["redis"]["healthcheck"]["test"][-1] == "ping"
    assert services["migrate"]["command"][:3] == ["python", "manage.py", "migrate"]
    assert services["web"]["command"][:2] == ["gunicorn", "outage_portal.wsgi"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    worker = services["worker"]
    assert worker["command"][:4] == ["celery", "-A", "outage_portal", "worker"]
    assert "container_name" not in worker and "ports" not in worker  # --scale worker=N must work
    beat = services["beat"]["command"]
    assert beat[:4] == ["celery", "-A", "outage_portal", "beat"]
    assert beat[beat.index("--scheduler") + 1] == "django_celery_beat.schedulers:DatabaseScheduler"
    assert services["sandbox"]["profiles"] == ["dev"]
    assert services["sandbox"]["command"][:3] == ["python", "-m", "infobip_sandbox"]
    for name in ("migrate", "web", "worker", "beat", "sandbox"):
        assert services[name]["env_file"] == "${PORTAL_ENV_FILE:-.env}", name
        assert services[name]["image"] == "${PORTAL_IMAGE:-outage-portal:latest}", name
    # The stack test swaps in local images; a deployer gets the official ones.
    assert services["postgres"]["image"] == "${POSTGRES_IMAGE:-postgres:16}"
    assert services["redis"]["image"] == "${REDIS_IMAGE:-redis:7}"


def test_the_stack_tests_override_publishes_on_loopback_only():
    """ops/stack/compose.ci.yml publishes nothing but loopback ports, and never PostgreSQL's or Redis's."""
    override = yaml.load((ROOT / "ops" / "stack" / "compose.ci.yml").read_text(), Loader=_ComposeTagLoader)
    published = {name: service.get("ports") or [] for name, service in override["services"].items()}
    assert set(published) >= {"web", "sandbox", "edge"}
    assert published["web"] == []  # web is reached through the edge proxy only
    for name, ports in published.items():
        for port in ports:
            assert str(port).startswith("127.0.0.1:"), (name, port)
    assert "postgres" not in published and "redis" not in published


class _ComposeTagLoader(yaml.SafeLoader):
    """Compose's merge tags (``!reset``, ``!override``) read as the value they carry."""


_ComposeTagLoader.add_constructor("!reset", lambda loader, node: loader.construct_sequence(node))
_ComposeTagLoader.add_constructor("!override", lambda loader, node: loader.construct_sequence(node))


def test_every_named_variable_is_read_by_the_settings_or_the_stack():
    """Each variable in .env.example and docker-compose.yml is one the settings (or Compose itself) read."""
    known = settings_variables() | STACK_VARIABLES
    named = set(env_example()) | compose_variables()
    assert named - known == set(), "variables nobody reads"


def test_every_production_setting_is_in_env_example():
    """Each variable the settings read (bar laptop switches) is listed in .env.example; the required ones are set."""
    listed = env_example()
    assert settings_variables() - set(listed) == set(), "add these to .env.example (commented when optional)"
    assert {name for name in REQUIRED_IN_PRODUCTION if not listed.get(name)} == set()


def test_docs_mention_every_variable_and_the_operations():
    """docs/production.md documents each variable of .env.example and how to run, scale and point the stack."""
    docs = (ROOT / "docs" / "production.md").read_text()
    assert {name for name in env_example() if name not in docs} == set()
    for phrase in (
        "docker compose up",
        "--scale worker=",
        "--no-deps",
        "one beat",
        "INFOBIP_BASE_URL",
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/notices",
        "/api/v1/alertmanager",
    ):
        assert phrase in docs, phrase


def test_dockerfile_runs_as_a_non_root_user_and_collects_static_files():
    """The image is python:3.11-slim, installs the requirements, collects static files and drops root."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "ARG BASE_IMAGE=python:3.11-slim\nFROM ${BASE_IMAGE}\n" in dockerfile
    assert "pip install -r requirements.txt" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert re.search(r"^USER portal$", dockerfile, re.MULTILINE)
    assert ".env" in (ROOT / ".dockerignore").read_text().split()
