"""Arbitrary input at every public input of the registry and the public pages: never a server error.

Hypothesis throws generated text, bytes, JSON and headers at the login pages, the customer pages (unsubscribe,
preferences), the sign-up pages, the admin's CSV import and the segment admin, through the real URL routing and
middleware (Django's test client, which raises on any exception a view lets through). Every answer must be below
500; refusals are 4xx or the same page with a message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from django.core import signing
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients import links
from clients.models import Segment, SignupRequest
from notifications import signup_delivery
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Any text a browser can send (no lone surrogates: they cannot be encoded in a request), weighted to the shapes
# that broke things before: huge numbers, non-ASCII digits, NUL, formulas, markup, long runs.
SPECIAL = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "²",
        "١٢٣",
        "9" * 40,
        "-1",
        "0",
        "1e400",
        "nan",
        "{{" * 50,
        "＝1+1",
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "%00",
        "ｏｐｓ２",
        "a" * 5000,
        "+33612345678",
        "x@example.com",
        "'; DROP TABLE clients; --",
        "\u202e\u200b",
    ]
)
TEXT = st.one_of(SPECIAL, st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=80))
FIELDS = st.dictionaries(st.sampled_from(["a", "code", "email", "sms", "language", "kinds", "leave_all"]), TEXT)


def _ok(response) -> None:  # noqa: ANN001
    assert response.status_code < 500, response.status_code


@pytest.fixture
def http() -> Iterator[HttpClient]:
    yield HttpClient(HTTP_ACCEPT_LANGUAGE="fr")


@pytest.fixture(autouse=True)
def _no_real_sends(monkeypatch, settings) -> None:  # noqa: ANN001
    monkeypatch.setattr(signup_delivery, "deliver", lambda **message: None)
    settings.TRUSTED_PROXY_COUNT = 1


@pytest.fixture
def customer():
    return ClientFactory(language="fr", phone="+33612345678", email="zoe@example.com")


def _tokens(customer) -> st.SearchStrategy[str]:  # noqa: ANN001
    """Forged, truncated, authentic, and authentic-but-odd tokens (signed by us around unexpected payloads)."""
    real = [links.unsubscribe_token(customer.pk, "email"), links.preferences_token(customer.pk)]
    odd = [
        signing.dumps(payload, salt=salt, compress=True)
        for salt in (links.UNSUBSCRIBE_SALT, links.PREFERENCES_SALT)
        for payload in ({"c": "x", "ch": 5}, [1, 2], {"c": 10**30, "ch": "sms"}, {"c": -1}, "text", None, {"c": True})
    ]
    return st.one_of(st.sampled_from(real + odd), TEXT, st.sampled_from(real).map(lambda t: t[:-3] + "abc"))


@FUZZ
@given(data=st.data())
def test_customer_pages_take_any_token_query_and_form(http, customer, data) -> None:  # noqa: ANN001
    token = data.draw(_tokens(customer))
    query = urlencode({"lang": data.draw(TEXT), "m": data.draw(TEXT), "saved": data.draw(TEXT)})
    for page in ("unsubscribe", "preferences"):
        path = f"/c/{page}/{quote(token, safe='') or 'x'}/?{query}"
        _ok(http.get(path))
        _ok(http.post(path, data.draw(FIELDS)))
    _ok(http.post(f"/c/unsubscribe/{quote(token, safe='') or 'x'}/", "List-Unsubscribe=One-Click", "text/plain"))


SIGNUP = st.fixed_dictionaries(
    {},
    optional={
        "account_ref": TEXT,
        "name": TEXT,
        "email": st.one_of(TEXT, st.emails().map(str)),
        "phone": TEXT,
        "language": st.one_of(TEXT, st.sampled_from(["en", "fr", "de"])),
        "uses_sms_service": TEXT,
        "uses_email_service": TEXT,
    },
)


@FUZZ
@given(form=SIGNUP, forwarded=TEXT, lang=TEXT)
def test_sign_up_takes_any_form(http, form, forwarded, lang) -> None:  # noqa: ANN001
    cache.clear()
    response = http.post(f"/c/signup/?{urlencode({'lang': lang})}", form, HTTP_X_FORWARDED_FOR=forwarded)
    _ok(response)
    if response.status_code == 302:
        _ok(http.get(response["Location"]))


@FUZZ
@given(code=TEXT, token=TEXT, public_id=TEXT)
def test_sign_up_codes_links_and_ids_take_anything(http, code, token, public_id) -> None:  # noqa: ANN001
    pending = SignupRequest.objects.create(
        account_ref="X",
        name="Léa",
        email="lea@example.com",
        phone="+33612345679",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    _ok(http.post(f"/c/signup/{pending.public_id}/", {"code": code}))
    _ok(http.get(f"/c/signup/{quote(public_id, safe='') or 'x'}/"))
    for method in (http.get, http.post):
        _ok(method(f"/c/signup/confirm/{quote(token, safe='') or 'x'}/"))


@FUZZ
@given(username=TEXT, password=TEXT, forwarded=TEXT, path=st.sampled_from(["/accounts/login/", "/admin/login/"]))
def test_login_pages_take_any_credentials(http, username, password, forwarded, path) -> None:  # noqa: ANN001
    UserFactory(username="ops2")
    _ok(http.post(path, {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=forwarded))


@pytest.fixture
def admin_http() -> HttpClient:
    http = HttpClient()
    http.force_login(UserFactory(username="fuzz-admin", groups=["Admins"], is_staff=True))
    return http


CSV_TEXT = st.lists(
    st.lists(
        st.one_of(TEXT, st.sampled_from(["external_ref", "name", "phone", "email", "buckets", "attr_x"])), max_size=6
    ),
    max_size=8,
).map(lambda rows: "\n".join(st_join(row) for row in rows))


def st_join(row: list[str]) -> str:
    return ",".join(row)


CSV_BYTES = st.one_of(
    st.binary(max_size=400),
    CSV_TEXT.map(lambda text: text.encode("utf-8", "replace")),
    CSV_TEXT.map(lambda text: ("external_ref,name,phone\n" + text).encode("utf-8", "replace")),
    st.sampled_from([b"\xef\xbb\xbfexternal_ref;name\nA;B\n", b"external_ref,name\r" * 50, b"\xff\xfe\x00\x00"]),
)


@FUZZ
@given(content=CSV_BYTES, name=TEXT, step=TEXT, token=TEXT)
def test_csv_import_takes_any_file_and_any_confirmation(admin_http, settings, tmp_path, content, name, step, token):  # noqa: ANN001, ANN201
    settings.VAR_DIR = tmp_path
    url = "/admin/clients/client/import/"
    safe_name = "".join(char for char in name if char.isprintable() and char not in "/\\")[:100].strip(".") or "x"
    upload = SimpleUploadedFile(safe_name, content)
    _ok(admin_http.post(url, {"step": "preview", "file": upload}))
    _ok(admin_http.post(url, {"step": step, "token": token}))


JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**40), max_value=10**40),
        st.floats(allow_nan=False, allow_infinity=False),
        TEXT.filter(lambda text: "\x00" not in text),
    ),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)
DEFINITIONS = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {},
        optional={
            "builtin": st.lists(st.one_of(TEXT, st.sampled_from(["sms_clients", "all_clients"])), max_size=3),
            "buckets": st.lists(st.one_of(st.integers(min_value=-(10**30), max_value=10**30), TEXT), max_size=4),
            "segment": st.one_of(st.integers(min_value=-(10**30), max_value=10**30), TEXT),
            "clients": st.lists(st.one_of(st.integers(), TEXT), max_size=3),
            "match": TEXT,
            "conditions": st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "field": st.one_of(
                            TEXT, st.sampled_from(["name", "tags", "is_active", "attributes.spend", "attributes.d"])
                        ),
                        "op": st.one_of(TEXT, st.sampled_from(["is", "in", "gt", "before", "contains", "is_not"])),
                        "value": JSON,
                    },
                ),
                max_size=3,
            ),
        },
    ),
)


@FUZZ
@given(definition=DEFINITIONS, raw=TEXT)
def test_segment_admin_takes_any_definition_saved_or_typed(admin_http, definition, raw) -> None:  # noqa: ANN001
    text = json.dumps(definition)
    for posted in (text, raw, text[: len(text) // 2]):
        _ok(admin_http.post("/admin/clients/segment/add/", {"name": "Fuzz", "description": "", "definition": posted}))
    Segment.objects.filter(name="Fuzz").delete()
    if "\\u0000" in text:  # PostgreSQL cannot store it: no stored segment can hold it
        return
    stored = Segment.objects.create(name="Stored", definition=definition if definition is not None else [])
    try:
        _ok(admin_http.get("/admin/clients/segment/"))
        _ok(admin_http.get(f"/admin/clients/segment/{stored.pk}/change/"))
    finally:
        stored.delete()


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["q", "bucket", "services", "o", "p", "language__exact"]), TEXT))
def test_client_admin_list_takes_any_filter(admin_http, query) -> None:  # noqa: ANN001
    _ok(admin_http.get("/admin/clients/client/?" + urlencode(query)))


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "language__exact=a%00", "bucket=1%00"])
def test_a_nul_in_a_search_or_filter_is_taken_out(admin_http, query: str) -> None:  # noqa: ANN001
    """A search or filter with NUL would reach PostgreSQL, which refuses NUL: it is removed before any view."""
    ClientFactory(name="ab")
    assert admin_http.get(f"/admin/clients/client/?{query}").status_code == 200


def test_a_nul_in_the_path_is_a_bad_request(http) -> None:  # noqa: ANN001
    assert http.get("/c/unsubscribe/x%00y/").status_code == 400
