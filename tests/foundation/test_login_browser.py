"""Staff log in through the real login page in Chromium and land on the dashboard."""

import pytest

from tests.conftest import browser_login
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ops_user_logs_in_and_sees_the_dashboard(page, live_server):
    """A member of Ops logs in with the login form and reaches the dashboard with the New notice button."""
    UserFactory(username="olivia", groups=["Ops"])
    browser_login(page, live_server, "olivia")
    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.get_by_role("link", name="New outage notice").is_visible()


def test_wrong_password_stays_on_login_with_an_error(page, live_server):
    """A wrong password re-renders the login form with an error and does not log in."""
    UserFactory(username="olivia")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "olivia")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert "/accounts/login/" in page.url
    assert page.locator(".alert-danger, .invalid-feedback, .errorlist").first.is_visible()
