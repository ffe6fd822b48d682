"""Whatever a visitor or a bot sends to the public pages (any query, header, cookie or code), the answer is never a
500, and nothing it sends changes which page is cached beyond the language and zone it names."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.public.helpers import incident_of, notice

pytestmark = pytest.mark.django_db
TEXT = st.text(max_size=80)


@pytest.fixture
def public_id(ops, audience):
    return incident_of(notice(actor=ops, clients=audience)).public_id


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lang=TEXT, tz=TEXT, accept=TEXT, cookie=TEXT, code=TEXT, kind=TEXT, etag=TEXT)
def test_no_input_makes_a_public_page_fail(client, public_id, lang, tz, accept, cookie, code, kind, etag):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept, "HTTP_COOKIE": cookie, "HTTP_IF_NONE_MATCH": etag}
    urls = [
        "/",
        "/status/",
        f"/status/incidents/{public_id}/",
        f"/status/incidents/{public_id}/feed.atom",
        "/status/feed.json",
    ]
    for url in urls:
        try:
            response = client.get(url, {"lang": lang, "tz": tz}, **headers)
        except UnicodeEncodeError:  # the test client cannot put such a header on the wire; no server ever sees it
            continue
        assert response.status_code in (200, 304, 400), (url, response.status_code)
    for path in (f"/i/{code}", f"/status/feed.{kind}", f"/status/incidents/{code}/"):
        try:
            response = client.get(path)
        except UnicodeEncodeError:
            continue
        # 301: the test client drops what follows a "#" (a browser never sends it), so "/status/incidents/0#/" asks
        # for "/status/incidents/0", which Django's APPEND_SLASH redirects.
        assert response.status_code in (301, 302, 400, 404), (path, response.status_code)
