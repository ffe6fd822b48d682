"""Login and permissions: every staff page needs a login, the admin needs is_staff, and the groups made by the
migration (Ops, Admins, Approvers, Viewers) grant what their names say and nothing more."""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Public by design, each with its own protection: the admin (its own login, tested below), provider webhooks
# (secret-checked), customer pages under /c/ (signed links), login/logout, and the probes load balancers call;
# the public status pages and short links (published incidents only, tests/public), and the home page, which shows
# visitors the status page and staff their dashboard (tests/public/test_cache.py).
PUBLIC_PREFIXES = (
    "/admin/",
    "/webhooks/",
    "/c/",
    "/accounts/login/",
    "/accounts/logout/",
    "/static/",
    "/status/",
    "/i/",
)
PUBLIC_PATHS = {"/healthz/", "/readyz/"}
# Machine endpoints: a bearer token (or a staff session) instead of the login page; anonymous gets 401/403.
TOKEN_PREFIXES = ("/api/", "/metrics")
# The API's machine-readable description says nothing about clients or notices; home is public (see above).
PUBLIC_NAMES = {"api:openapi", "home"}
SAMPLES = ("1", "x", str(uuid.UUID(int=1)))
GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")


def _samples(pattern) -> dict[str, list[str]]:
    """Candidate values per URL parameter: the first literal of a regex alternation, else a number, a word, a uuid."""
    if isinstance(pattern, RoutePattern):
        return {name: list(SAMPLES) for name in pattern.converters}
    candidates = {}
    for match in GROUP.finditer(pattern.regex.pattern):
        first = match["body"].split("|")[0]
        literal = [first] if re.fullmatch(r"[\w-]+", first) else []
        candidates[match["name"]] = literal + list(SAMPLES)
    return candidates


def _named_patterns(patterns, namespace: str = "", inherited: dict | None = None):
    """Yield (url name, parameter candidates) for every named route, with namespaces and including parameters."""
    for entry in patterns:
        params = {**(inherited or {}), **_samples(entry.pattern)}
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_patterns(entry.url_patterns, inner, params)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", params


def _sample_url(name: str, params: dict[str, list[str]]) -> str:
    for index in range(max((len(values) for values in params.values()), default=1)):
        kwargs = {key: values[min(index, len(values) - 1)] for key, values in params.items()}
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    raise AssertionError(f"cannot build a sample URL for {name} from {params}")


def all_routes() -> list[tuple[str, str]]:
    """Every named route of the portal, with sample values in its parameters."""
    return sorted({(name, _sample_url(name, params)) for name, params in _named_patterns(get_resolver().url_patterns)})


def _is_public(name: str, url: str) -> bool:
    return name in PUBLIC_NAMES or url.startswith(PUBLIC_PREFIXES) or url.rstrip("/") + "/" in PUBLIC_PATHS


ROUTES = [(name, url) for name, url in all_routes() if not _is_public(name, url)]
STAFF_ROUTES = [(name, url) for name, url in ROUTES if not url.startswith(TOKEN_PREFIXES)]
TOKEN_ROUTES = [(name, url) for name, url in ROUTES if url.startswith(TOKEN_PREFIXES)]


def test_the_route_walk_finds_the_staff_pages():
    """The walk over the URL resolver sees the staff pages and skips the public ones."""
    names = [name for name, _ in STAFF_ROUTES]
    assert "campaigns:list" in names
    assert not any(url.startswith(("/c/", "/webhooks/", "/admin/")) for _, url in STAFF_ROUTES)


@pytest.mark.parametrize(("name", "url"), STAFF_ROUTES, ids=[name for name, _ in STAFF_ROUTES])
def test_staff_page_sends_anonymous_visitors_to_login(client, name, url):
    """An anonymous GET (or POST, for POST-only views) of a staff page redirects to the login page."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    assert response.status_code == 302, f"{name} {url} answered {response.status_code}"
    assert response["Location"].startswith(reverse("login")), response["Location"]


@pytest.mark.parametrize(("name", "url"), TOKEN_ROUTES, ids=[name for name, _ in TOKEN_ROUTES])
def test_machine_endpoint_refuses_anonymous_callers(client, name, url):
    """The monitoring API and the metrics endpoint answer 401/403 to a caller without a token or session."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, content_type="application/json", data="{}")
    assert response.status_code in (401, 403), f"{name} {url} answered {response.status_code}"


def test_login_page_and_home_after_login(client):
    """The login form logs a staff member in and lands on the portal home page."""
    UserFactory(username="olivia", groups=["Ops"])
    response = client.post(reverse("login"), {"username": "olivia", "password": "pass-Word-123"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_wrong_password_does_not_log_in(client):
    """A wrong password re-renders the form and leaves the visitor anonymous."""
    UserFactory(username="olivia")
    response = client.post(reverse("login"), {"username": "olivia", "password": "nope"})
    assert response.status_code == 200
    assert client.get(reverse("campaigns:list")).status_code == 302  # / itself shows visitors the status page


def test_the_migration_creates_the_four_staff_groups():
    """Ops, Admins, Approvers and Viewers exist on a freshly migrated database, each with permissions."""
    groups = {
        group.name: group.permissions.count()
        for group in Group.objects.filter(name__in=["Ops", "Admins", "Approvers", "Viewers"])
    }
    assert set(groups) == {"Ops", "Admins", "Approvers", "Viewers"}
    assert all(count > 0 for count in groups.values())


@pytest.mark.parametrize(
    ("group", "allowed", "denied"),
    [
        (
            "Viewers",
            ["clients.view_client", "campaigns.view_campaign", "notifications.view_message"],
            [
                "clients.change_client",
                "campaigns.add_campaign",
                "campaigns.send_campaign",
                "campaigns.approve_campaign",
            ],
        ),
        (
            "Ops",
            [
                "campaigns.add_campaign",
                "campaigns.send_campaign",
                "campaigns.test_send_campaign",
                "clients.view_client",
            ],
            ["clients.change_client", "clients.delete_client", "campaigns.approve_campaign"],
        ),
        (
            "Admins",
            ["clients.add_client", "clients.change_client", "clients.change_bucket", "clients.add_segment"],
            ["campaigns.send_campaign"],
        ),
        (
            "Approvers",
            ["campaigns.approve_campaign", "campaigns.view_campaign"],
            ["campaigns.send_campaign", "clients.change_client"],
        ),
    ],
)
def test_group_grants_what_its_name_says(group, allowed, denied):
    """Each group's members have exactly the powers of their role: Ops send, Admins keep clients, Viewers read."""
    user = UserFactory(groups=[group])
    assert [perm for perm in allowed if not user.has_perm(perm)] == []
    assert [perm for perm in denied if user.has_perm(perm)] == []


def test_admin_requires_is_staff(client):
    """A member of Admins without is_staff is sent to the admin login; with is_staff the admin opens."""
    user = UserFactory(username="adam", groups=["Admins"], is_staff=False)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    assert client.get(reverse("admin:index")).status_code == 200


def registered_models():
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.fixture
def viewer_client(client):
    client.force_login(UserFactory(username="vera", groups=["Viewers"], is_staff=True))
    return client


@pytest.mark.parametrize("model", registered_models(), ids=lambda model: model._meta.label)
def test_viewer_cannot_open_admin_add_pages(viewer_client, model):
    """A Viewer reaching the admin gets 403 on every add page."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    assert viewer_client.get(url).status_code == 403


@pytest.mark.parametrize("model", registered_models(), ids=lambda model: model._meta.label)
def test_viewer_sees_lists_read_only_or_not_at_all(viewer_client, model):
    """A Viewer may list what Viewers may view, never with an add link; other lists answer 403."""
    meta = model._meta
    response = viewer_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    user = response.wsgi_request.user
    if user.has_perm(f"{meta.app_label}.view_{meta.model_name}"):
        assert response.status_code == 200
        add_url = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        assert f'href="{add_url}"' not in response.content.decode()
    else:
        assert response.status_code == 403


def test_viewer_cannot_change_or_delete_a_client_in_admin(viewer_client):
    """A Viewer opens a client's admin page read-only (no Save), and a POST or delete is refused."""
    from tests.factories import ClientFactory

    customer = ClientFactory(name="Ada Original")
    change_url = reverse("admin:clients_client_change", args=[customer.pk])
    page = viewer_client.get(change_url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert viewer_client.post(change_url, {"name": "Changed"}).status_code == 403
    assert (
        viewer_client.post(reverse("admin:clients_client_delete", args=[customer.pk]), {"post": "yes"}).status_code
        == 403
    )
    customer.refresh_from_db()
    assert customer.name == "Ada Original"
