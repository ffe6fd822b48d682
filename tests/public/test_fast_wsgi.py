"""The WSGI fast path (outage_portal/wsgi.py): the second visitor of a public page is answered before Django, with
the very bytes and headers the first one got; the same request facts pick the same page on both paths."""

from __future__ import annotations

import io

import pytest
from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from django.urls import reverse

from campaigns.models import ShortLink
from campaigns.selectors.public import campaign_clicks
from tests.conftest import redis_url
from tests.public.helpers import forget_local_caches, incident_of, notice

pytestmark = pytest.mark.django_db


def call(path: str, query: str = "", method: str = "GET", **headers: str) -> tuple[str, dict[str, str], bytes]:
    from outage_portal.wsgi import application

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    answer: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    # As Django's test client does: the test's database connection must survive the request's end.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        chunks = application(environ, start_response)
        body = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return str(answer["status"]), answer["headers"], body  # type: ignore[return-value]


@pytest.fixture
def incident(ops, audience):
    return incident_of(notice(actor=ops, clients=audience, public_text={"en": "Words.", "fr": "Mots."}))


def test_the_second_visitor_is_answered_before_django_with_the_same_bytes(incident, django_assert_num_queries):
    path = reverse("public:incident", args=[incident.public_id])
    status, first_headers, first = call(path, "lang=en")
    assert status == "200 OK" and "X-Request-ID" in first_headers  # through Django
    with django_assert_num_queries(0):
        status, headers, body = call(path, "lang=en&utm_source=sms")
    assert status == "200 OK" and body == first and "X-Request-ID" not in headers  # before Django
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Content-Language", "ETag"):
        assert headers[name] == first_headers[name], name
    assert call(path, "lang=en", method="HEAD")[2] == b""
    assert call(path, "lang=en", IF_NONE_MATCH=headers["ETag"])[0] == "304 Not Modified"


def test_both_paths_pick_the_same_language(incident):
    path = reverse("public:incident", args=[incident.public_id])
    facts = {"ACCEPT_LANGUAGE": "de", "COOKIE": "django_language=fr"}
    _status, django_headers, through_django = call(path, **facts)
    _status, fast_headers, fast = call(path, **facts)
    assert "X-Request-ID" not in fast_headers and fast == through_django
    assert django_headers["Content-Language"] == fast_headers["Content-Language"] == "fr"


def test_a_staff_session_at_the_root_is_never_answered_from_the_cache(client, ops, incident):
    call("/")
    call("/")
    client.force_login(ops)
    session = client.cookies["sessionid"].value
    status, headers, body = call("/", COOKIE=f"sessionid={session}")
    assert "X-Request-ID" in headers and b"New outage notice" in body


@pytest.mark.redis
def test_with_redis_a_known_short_link_is_counted_and_redirected_before_django(ops, audience):
    redis_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url()}}
    with override_settings(CACHES=redis_cache):
        caches["default"].clear()
        forget_local_caches()
        campaign = notice(actor=ops, clients=audience)
        link = ShortLink.objects.filter(campaign=campaign, channel="sms", language="en").get()
        first = call(f"/i/{link.code}")
        second = call(f"/i/{link.code}")
        assert first[0] == second[0] == "302 Found"
        assert "X-Request-ID" in first[1] and "X-Request-ID" not in second[1]
        assert first[1]["Location"] == second[1]["Location"]
        assert second[1]["Cache-Control"] == "no-store" and "Set-Cookie" not in second[1]
        assert campaign_clicks(campaign)["sms"] == 2
        caches["default"].clear()
