"""The feeds: Atom documents validated by lxml against a RELAX NG schema of RFC 4287 (tests/public/atom.rng), checked
for the RFC's rules a schema cannot say (an author for every entry, unique ids, one self link) and read by
feedparser, the maintained feed parser; JSON Feed 1.1 documents with their required members."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import pytest
from django.urls import reverse
from lxml import etree

from tests.public.helpers import follow_up, incident_of, notice

SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).with_name("atom.rng"))))

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def check_atom(body: bytes) -> etree._Element:
    """RFC 4287 section 4.1: the feed's and each entry's required elements, once each, with valid dates and ids."""
    root = etree.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    assert SCHEMA.validate(root), SCHEMA.error_log

    def one(parent: etree._Element, name: str) -> etree._Element:
        found = parent.findall(f"{ATOM}{name}")
        assert len(found) == 1, f"{parent.tag} has {len(found)} atom:{name}"
        return found[0]

    for name in ("id", "title", "updated"):
        assert one(root, name).text
    assert RFC3339.match(one(root, "updated").text or "")
    assert re.match(r"^(tag|https?|urn):", one(root, "id").text or "")
    selves = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert len(selves) == 1 and selves[0].get("href", "").startswith("http")
    feed_author = root.find(f"{ATOM}author")
    entries = root.findall(f"{ATOM}entry")
    ids = set()
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert one(entry, name).text
        assert RFC3339.match(one(entry, "updated").text or "")
        ids.add(one(entry, "id").text)
        assert feed_author is not None or entry.find(f"{ATOM}author") is not None  # 4.1.1: an author for each
        alternates = [link for link in entry.findall(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"]
        assert entry.find(f"{ATOM}content") is not None or alternates  # 4.1.2
        assert entry.find(f"{ATOM}summary") is not None
    assert len(ids) == len(entries), "entry ids must be unique"
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return root


@pytest.fixture
def incident(ops, audience):
    first = notice(actor=ops, clients=audience, public_text={"en": "Looking into it <b>now</b> & soon."})
    follow_up(first, actor=ops, kind="update", public_state="identified")
    return incident_of(first)


def test_status_atom_feed_is_valid_atom_with_the_incident(client, incident):
    response = client.get(reverse("public:status_feed", args=["atom"]), {"lang": "en"})
    assert response["Content-Type"].startswith("application/atom+xml")
    root = check_atom(response.content)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1 and "Fibre cut in Lyon" in entries[0].findtext(f"{ATOM}title")
    summary = entries[0].findtext(f"{ATOM}summary")
    assert "Looking into it &lt;b&gt;now&lt;/b&gt; &amp; soon." in summary  # escaped text inside type="html"


def test_incident_atom_feed_has_one_entry_per_update(client, incident):
    response = client.get(reverse("public:incident_feed", args=[incident.public_id, "atom"]), {"lang": "fr"})
    root = check_atom(response.content)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    titles = [entry.findtext(f"{ATOM}title") for entry in root.findall(f"{ATOM}entry")]
    assert titles == ["Fibre cut in Lyon — Identifié", "Fibre cut in Lyon — Enquête en cours"]


def test_an_empty_status_feed_is_still_valid(client, db):
    check_atom(client.get(reverse("public:status_feed", args=["atom"])).content)


def test_json_feeds(client, incident):
    status = json.loads(client.get(reverse("public:status_feed", args=["json"])).content)
    assert status["version"] == "https://jsonfeed.org/version/1.1" and status["title"]
    (item,) = status["items"]
    assert {"id", "url", "title", "content_html", "date_published", "date_modified"} <= set(item)
    assert item["_incident"]["state"] == "identified" and item["_incident"]["services"] == ["SMS service"]
    assert [u["state"] for u in item["_incident"]["updates"]] == ["identified", "investigating"]
    one = json.loads(client.get(reverse("public:incident_feed", args=[incident.public_id, "json"])).content)
    assert one["items"][0]["url"] == item["url"]


def test_the_schema_refuses_a_feed_that_breaks_rfc_4287():
    """The schema is not a rubber stamp: a feed without its id, or with a date that is not RFC 3339, fails."""
    good = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>tag:x,2026:1</id>'
        "<updated>2026-11-30T12:00:00Z</updated><author><name>n</name></author></feed>"
    )
    assert SCHEMA.validate(etree.fromstring(good))
    assert not SCHEMA.validate(etree.fromstring(good.replace("<id>tag:x,2026:1</id>", "")))
    assert not SCHEMA.validate(etree.fromstring(good.replace("2026-11-30T12:00:00Z", "30 Nov 2026")))
