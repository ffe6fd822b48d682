"""Login throttle: repeated failures for one username from one address lock it, with a clear message."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient

from outage_portal.throttle import login_lock_remaining
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pass-Word-123"


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    cache.clear()


def attempt(username: str, password: str, *, path: str = "/accounts/login/", address: str = "10.0.0.1"):
    return HttpClient().post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_limit_locks_the_username_with_a_clear_message():
    """After 3 failures the form says it is locked, and even the right password is refused (429)."""
    UserFactory(username="alice")
    for _ in range(2):
        assert attempt("alice", "wrong").status_code == 200
    third = attempt("alice", "wrong")
    assert "Too many failed attempts" in third.content.decode()
    locked = attempt("alice", PASSWORD)
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert "Sign-in is locked for 15 minutes" in locked.content.decode()


def test_the_lock_is_per_username_and_address():
    """Another address, or another username, still logs in."""
    UserFactory(username="alice")
    UserFactory(username="bob")
    for _ in range(3):
        attempt("alice", "wrong")
    assert attempt("alice", PASSWORD, address="10.0.0.2").status_code == 302
    assert attempt("bob", PASSWORD).status_code == 302
    assert login_lock_remaining(username="ALICE ", address="10.0.0.1") > 0


def test_a_success_forgets_earlier_failures():
    """Failures below the limit are cleared by a successful login."""
    UserFactory(username="alice")
    attempt("alice", "wrong")
    attempt("alice", "wrong")
    assert attempt("alice", PASSWORD).status_code == 302
    attempt("alice", "wrong")
    attempt("alice", "wrong")
    assert attempt("alice", PASSWORD).status_code == 302


def test_admin_login_is_throttled_too():
    """/admin/login/ shares the throttle, so it is no way around it."""
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(3):
        attempt("root", "wrong", path="/admin/login/")
    response = attempt("root", PASSWORD, path="/admin/login/")
    assert response.status_code == 429 and "Too many failed attempts" in response.content.decode()
    cache.clear()
    assert attempt("root", PASSWORD, path="/admin/login/").status_code == 302


def test_forwarded_address_is_used_only_behind_trusted_proxies(settings):
    """With TRUSTED_PROXY_COUNT=1, the last X-Forwarded-For entry is the client; spoofed earlier ones are ignored."""
    UserFactory(username="alice")
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(3):
        HttpClient().post(
            "/accounts/login/",
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="172.16.0.1",
            HTTP_X_FORWARDED_FOR=f"1.1.1.{_}, 203.0.113.9",
        )
    assert login_lock_remaining(username="alice", address="203.0.113.9") > 0
    assert login_lock_remaining(username="alice", address="172.16.0.1") == 0


@pytest.mark.parametrize(
    ("path", "spelling"), [("/accounts/login/", "ｏｐｓ２"), ("/admin/login/", "OPS2"), ("/accounts/login/", "Ops2 ")]
)
def test_another_spelling_of_a_locked_username_is_locked_too(path, spelling):
    """Django logs 'ｏｐｓ２' (fullwidth) in as 'ops2' (NFKC): the throttle counts them as one username."""
    UserFactory(username="ops2", is_staff=True, is_superuser=True)
    for _ in range(3):
        attempt("ops2", "wrong", path=path)
    response = attempt(spelling, PASSWORD, path=path)
    assert response.status_code == 429 and "Too many failed attempts" in response.content.decode()


def test_failures_spread_over_usernames_exhaust_the_address(settings):
    """One address guessing across many usernames is stopped by its own budget, with the same clear message."""
    settings.LOGIN_THROTTLE_IP_ATTEMPTS = 6
    UserFactory(username="carol")
    for n in range(6):
        assert attempt(f"user{n}", "wrong").status_code == 200  # two below the per-username limit each
    response = attempt("carol", PASSWORD)
    assert response.status_code == 429 and "Too many failed attempts" in response.content.decode()
    assert attempt("carol", PASSWORD, address="10.0.0.9").status_code == 302  # another address is not affected


def test_a_success_does_not_refill_the_address_budget(settings):
    """An attacker with one valid account cannot reset the address budget by logging in between guesses."""
    settings.LOGIN_THROTTLE_IP_ATTEMPTS = 4
    UserFactory(username="mallory")
    for n in range(2):
        attempt(f"victim{n}", "wrong")
    assert attempt("mallory", PASSWORD).status_code == 302
    for n in range(2):
        attempt(f"victim{n + 2}", "wrong")
    assert attempt("mallory", PASSWORD).status_code == 429
