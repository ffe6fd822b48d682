"""Alert-route regular expressions match in linear time, and a pattern that cannot is refused in the admin.

``(.*)-(.*)-(.*)-prod`` against a long label took 7.4 s on one call with Python's backtracking ``re`` (issue 12).
"""

from __future__ import annotations

import time

import pytest

from campaigns.models import AlertRoute
from tests.factories import UserFactory
from tests.ops.factories import AlertRouteFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("pattern", [r"(.*)-(.*)-(.*)-prod", r"(a+)+$", r"(x|x)*y", r"(.*a){20}"])
def test_catastrophic_patterns_answer_at_once(pattern: str) -> None:
    """Patterns that backtrack exponentially or polynomially in ``re`` answer in linear time on a long label."""
    route = AlertRoute(name="r", matchers={"instance": pattern}, match_regex=True)
    started = time.perf_counter()
    assert route.matches({"instance": "a-" * 5_000}) is False
    assert route.matches({"instance": "a" * 10_000 + "!"}) is False
    assert time.perf_counter() - started < 1.0


def test_regex_routes_still_match_the_whole_value() -> None:
    route = AlertRoute(name="r", matchers={"service": "fib.*", "env": "prod|staging"}, match_regex=True)
    assert route.matches({"service": "fibre", "env": "prod"})
    assert not route.matches({"service": "a fibre", "env": "prod"})  # the whole value, as before
    assert not route.matches({"service": "fibre", "env": "production"})
    assert not route.matches({"service": "fibre"})
    literal = AlertRoute(name="l", matchers={"service": "fib.*"}, match_regex=False)
    assert literal.matches({"service": "fib.*"}) and not literal.matches({"service": "fibre"})


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Fibre North",
        "priority": "10",
        "active": "on",
        "matchers": '{"service": "fibre"}',
        "kind": "outage",
        "channels": '["sms"]',
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\\1", "not supported"),
        (r"(?=prod)p.*", "not supported"),
        (r"(unclosed", "missing )"),
        ("x" * 600, "at most 500"),
    ],
)
def test_admin_refuses_a_pattern_it_cannot_match_safely(admin_client, pattern: str, reason: str) -> None:
    """Back-references, look-around, broken and over-long patterns are refused with the reason, nothing saved."""
    response = admin_client.post(
        "/admin/campaigns/alertroute/add/", _form(matchers=f'{{"service": "{pattern}"}}', match_regex="on")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "service" in page and reason in page
    assert not AlertRoute.objects.exists()


def test_admin_accepts_the_same_text_as_a_literal_value(admin_client) -> None:
    """Without 'values are regular expressions' a value is compared as text: nothing to refuse."""
    response = admin_client.post("/admin/campaigns/alertroute/add/", _form(matchers='{"service": "fibre (north"}'))
    assert response.status_code == 302 and AlertRoute.objects.get().matchers == {"service": "fibre (north"}


def test_a_stored_route_with_a_bad_pattern_matches_nothing_and_its_list_still_edits(admin_client) -> None:
    """A route saved before the check matches no alert; the list page's inline edits still work."""
    route = AlertRouteFactory(matchers={"service": r"(a)\1"}, match_regex=True)
    assert route.matches({"service": "aa"}) is False
    assert admin_client.get("/admin/campaigns/alertroute/").status_code == 200
    change = admin_client.get(f"/admin/campaigns/alertroute/{route.pk}/change/")
    assert change.status_code == 200
