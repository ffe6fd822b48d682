"""Schema-driven test of the monitoring API: schemathesis generates requests from campaigns/api/openapi.json and
calls the Django WSGI app in-process; no answer may be a 5xx, and every answer must match the documented
status codes, content types and response schemas."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import BucketFactory, SegmentFactory
from tests.ops.factories import AlertRouteFactory, token_with

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(db):
    """The schema, loaded from the running app. Like Django's test client, keep the test's database connection
    open across requests (the WSGI handler would otherwise close it at the end of each one)."""
    from outage_portal.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_token(db) -> str:
    """A token with every permission, and data for generated requests to find."""
    north = BucketFactory(name="North", slug="north")
    SegmentFactory(name="Key accounts")
    AlertRouteFactory(matchers={}, buckets=[north])
    return token_with("can_create_draft", "can_read_status", "can_send_without_review", "can_register_devices")[1]


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.postgres
@schema.parametrize()
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_and_answers_as_documented(case, api_token):
    """Generated valid and invalid requests never get a 5xx; status, content type and body match the schema."""
    case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"}, checks=CHECKS)


@pytest.mark.postgres
@schema.parametrize()
@settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_without_a_token_is_401_as_documented(case, db):
    """Without a token every operation answers 401 with the documented error body."""
    case.headers = {key: value for key, value in (case.headers or {}).items() if key.lower() != "authorization"}
    response = case.call()
    assert response.status_code in (401, 405)
    case.validate_response(response, checks=CHECKS)
