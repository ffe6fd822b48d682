"""``manage.py seed_demo [--once]``: a believable demo data set, the same every time (seeded random).

About 300 clients across languages, regions, plans, networks and services; some inactive, opted out, or without an
email or a mobile number; buckets, two segments, three internal test recipients, three message templates in three
languages, and one login per staff role. A few numbers end in 666 and one email starts with "bounce": the bundled
Infobip sandbox reports those as undeliverable, so the demo shows failures too.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from campaigns.management.demo_templates import TEMPLATES, version_fields
from campaigns.models import Campaign, MessageTemplate, TemplateVersion
from clients.consent import consent_set
from clients.models import Bucket, BucketMembership, Client, Segment, TestRecipient

# (username, password, role) — printed at the end; run_embedded shows them too.
DEMO_LOGINS = [
    ("ops", "ops-demo-2026", "Ops: create and send notices"),
    ("admin", "admin-demo-2026", "Admin: superuser, manages clients, buckets and templates in /admin/"),
    ("viewer", "viewer-demo-2026", "Viewer: read only (admin pages read-only)"),
    ("approver", "approver-demo-2026", "Approver + Ops: approves large notices written by others"),
    ("lead", "lead-demo-2026", "Incident lead + Ops: emergency send without approval, takes over drafts"),
]
USERS: dict[str, dict[str, Any]] = {
    "ops": {"groups": ["Ops"], "is_staff": False, "is_superuser": False},
    "admin": {"groups": ["Admins"], "is_staff": True, "is_superuser": True},
    "viewer": {"groups": ["Viewers"], "is_staff": True, "is_superuser": False},
    "approver": {"groups": ["Approvers", "Ops"], "is_staff": False, "is_superuser": False},
    "lead": {"groups": ["Incident leads", "Ops"], "is_staff": False, "is_superuser": False},
}
CLIENT_COUNT = 300
REF_PREFIX = "DEMO-"
REGIONS = ["North", "South", "East", "West", "Paris"]
PLANS = ["Home", "Business", "Enterprise"]
NETWORKS = ["Orange", "SFR", "Bouygues", "Free"]
NAMES = {
    "en": (
        ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Noah", "Grace", "Leo", "Ruby"],
        ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Walker", "Wright", "Hughes"],
    ),
    "fr": (
        ["Léa", "Hugo", "Chloé", "Louis", "Manon", "Gabriel", "Inès", "Jules", "Camille", "Arthur", "Zoé"],
        ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"],
    ),
    "de": (
        ["Lena", "Lukas", "Mia", "Finn", "Hannah", "Jonas", "Emma", "Paul", "Sophie", "Felix", "Marie"],
        ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann"],
    ),
}
COMPANIES = ["Atelier", "Boulangerie", "Garage", "Cabinet", "Studio", "Logistik", "Consulting", "Pharmacie", "Hotel"]
# Client numbers whose mobile ends in 666 (the sandbox reports them UNDELIVERABLE) and whose email starts "bounce".
UNDELIVERABLE_PHONES = {7: "+33610000666", 42: "+33610001666", 123: "+33610002666"}
BOUNCING_EMAIL = 13


def _client_values(n: int, rng: random.Random) -> dict:
    language = rng.choices(["en", "fr", "de"], weights=[4, 4, 2])[0]
    first, last = rng.choice(NAMES[language][0]), rng.choice(NAMES[language][1])
    services = rng.choices(["both", "sms", "email"], weights=[45, 30, 25])[0]
    plan = rng.choices(PLANS, weights=[55, 35, 10])[0]
    handle = f"{slugify(first)}.{slugify(last)}"
    email = f"{handle}{n}@example.com"
    phone = UNDELIVERABLE_PHONES.get(n, f"+3361000{n:04d}")
    if n == BOUNCING_EMAIL:
        email = f"bounce.{handle}@example.com"
    elif services == "sms" and n % 5 == 0:
        email = ""
    if services == "email" and n % 4 == 0:
        phone = ""
    last_visit = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 640))
    tags = [tag for tag, share in (("vip", 0.08), ("pilot", 0.05), ("paper-bills", 0.1)) if rng.random() < share]
    return {
        "name": f"{first} {last}",
        "account": f"{rng.choice(COMPANIES)} {last}" if plan != "Home" else "",
        "email": email,
        "phone": phone,
        "language": language,
        # Dates in their messages are written in their zone (French clients read Paris time).
        "time_zone": {"fr": "Europe/Paris", "de": "Europe/Berlin", "en": "Europe/London"}[language],
        "uses_sms_service": services in ("both", "sms"),
        "uses_email_service": services in ("both", "email"),
        "is_active": n % 37 != 5,
        "region": rng.choice(REGIONS),
        "network": rng.choice(NETWORKS),
        "plan": plan,
        "tags": tags,
        "muted_kinds": ["maintenance"] if n % 41 == 3 else [],
        "attributes": {
            "last_visit": last_visit.isoformat(),
            "monthly_spend": round(rng.uniform(12, 180) * (4 if plan == "Enterprise" else 1), 2),
        },
    }


def _clients() -> list[Client]:
    rng = random.Random(2026)
    clients = [Client(external_ref=f"{REF_PREFIX}{n:04d}", **_client_values(n, rng)) for n in range(CLIENT_COUNT)]
    fields = list(_client_values(0, random.Random(0)))  # every seeded field; consent is left as it is
    Client.objects.bulk_create(
        clients, update_conflicts=True, unique_fields=["external_ref"], update_fields=[*fields, "updated_at"]
    )
    return list(Client.objects.filter(external_ref__startswith=REF_PREFIX).order_by("external_ref"))


def _opt_outs(clients: list[Client]) -> None:
    """A few clients who said no, each through the channel a real one would use (recorded in the history)."""
    for client in clients[3::53]:
        consent_set(client=client, channel="sms", given=False, source="sms_stop", detail="Reply STOP (demo)")
    for client in clients[11::61]:
        consent_set(client=client, channel="email", given=False, source="unsubscribe_link", detail="demo")


def _buckets(clients: list[Client]) -> dict[str, Bucket]:
    buckets: dict[str, Bucket] = {}
    descriptions = {name: f"Clients in the {name} service area." for name in REGIONS}
    descriptions["Key accounts"] = "Enterprise customers with an account manager."
    descriptions["Pilot group"] = "Customers who try new services first."
    for name, description in descriptions.items():
        buckets[name], _ = Bucket.objects.update_or_create(
            slug=slugify(name), defaults={"name": name, "description": description}
        )
    members = [(buckets[client.region], client) for client in clients]
    members += [(buckets["Key accounts"], client) for client in clients if client.plan == "Enterprise"]
    members += [(buckets["Pilot group"], client) for client in clients[::23]]
    BucketMembership.objects.bulk_create(
        [BucketMembership(bucket=bucket, client=client) for bucket, client in members], ignore_conflicts=True
    )
    return buckets


def _segments(buckets: dict[str, Bucket]) -> None:
    Segment.objects.update_or_create(
        name="High spenders on SMS",
        defaults={
            "description": "SMS clients spending more than 150 a month.",
            "definition": {
                "builtin": ["sms_clients"],
                "match": "all",
                "conditions": [{"field": "attributes.monthly_spend", "op": "gt", "value": 150}],
            },
        },
    )
    Segment.objects.update_or_create(
        name="Paris businesses not seen since spring",
        defaults={
            "description": "Business and enterprise clients in the Paris bucket whose last visit was before June 2026.",
            "definition": {
                "buckets": [buckets["Paris"].pk],
                "match": "all",
                "conditions": [
                    {"field": "plan", "op": "in", "value": ["Business", "Enterprise"]},
                    {"field": "attributes.last_visit", "op": "before", "value": "2026-06-01"},
                ],
            },
        },
    )


def _test_recipients() -> None:
    for name, email, phone, language in (
        ("Ops on-call", "ops-oncall@example.com", "+33610009001", "en"),
        ("Support desk (FR)", "support-fr@example.com", "+33610009002", "fr"),
        ("Support desk (DE)", "support-de@example.com", "+33610009003", "de"),
    ):
        TestRecipient.objects.update_or_create(
            name=name, defaults={"email": email, "phone": phone, "language": language, "is_active": True}
        )


def _templates() -> None:
    for spec in TEMPLATES:
        template, _ = MessageTemplate.objects.update_or_create(
            name=spec["name"],
            defaults={"kind": spec["kind"], "description": spec["description"], "sms_stop_line": spec["sms_stop_line"]},
        )
        for language, text in spec["versions"].items():
            TemplateVersion.objects.update_or_create(
                template=template, language=language, defaults=version_fields(language, text, spec["name"])
            )


def _users() -> None:
    passwords = {username: password for username, password, _role in DEMO_LOGINS}
    for username, spec in USERS.items():
        user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
        user.is_staff, user.is_superuser, user.is_active = spec["is_staff"], spec["is_superuser"], True
        user.set_password(passwords[username])
        user.save()
        user.groups.set(Group.objects.filter(name__in=spec["groups"]))


def _demo_notices() -> list[Campaign]:
    """Two notices of one incident to the pilot group, sent through the real pipeline (worker and sandbox).

    Their messages wait as queued sends until a worker runs: ``make run`` starts one, so the demo shows notices
    going from pending to delivered (and a few undeliverable) as soon as the portal is up.
    """
    from campaigns.services.door import campaign_confirm
    from campaigns.services.drafts import campaign_draft_create
    from campaigns.services.steps import campaign_step_reach

    ops = User.objects.get(username="ops")
    pilot = Bucket.objects.get(name="Pilot group")
    now = timezone.now()
    incident_fields = {
        "title": "Email delivery delayed",
        "kind": "outage",
        "services": ["Email service"],
        "started_at": now - timedelta(hours=3),
        "expected_resolution_at": now - timedelta(hours=1),
        "severity": "major",
    }
    sent: list[Campaign] = []
    incident = None
    for template_name, kind, title in (
        ("Outage: service down", "outage", "Email delivery delayed"),
        ("Service restored", "resolved", "Email delivery restored"),
    ):
        campaign = campaign_draft_create(
            incident=incident,
            incident_fields=incident_fields,
            kind=kind,
            title=title,
            audience={"buckets": [pilot.pk]},
            channels=["sms", "email"],
            template=MessageTemplate.objects.get(name=template_name),
            variables={"status_page": "https://status.example.com"},
            parent=sent[-1] if sent else None,
            created_by=ops,
            source_detail="demo data",
        )
        incident = campaign.incident
        campaign_step_reach(campaign=campaign, step="send")
        sent.append(campaign_confirm(campaign=campaign, actor=ops))
    return sent


def demo_present() -> bool:
    return (
        Client.objects.filter(external_ref__startswith=REF_PREFIX).exists()
        and User.objects.filter(username="ops").exists()
    )


class Command(BaseCommand):
    help = "Load the demo data set (clients, buckets, segments, test recipients, templates, one user per role)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="do nothing if the demo data is already there")
        parser.add_argument(
            "--notices",
            action="store_true",
            help="also send two demo notices to the pilot group (a worker delivers them)",
        )

    def handle(self, *args: Any, once: bool, notices: bool = False, **options: Any) -> None:
        if once and demo_present():
            self.stdout.write("Demo data already present; nothing changed.")
        else:
            with transaction.atomic():
                clients = _clients()
                _opt_outs(clients)
                buckets = _buckets(clients)
                _segments(buckets)
                _test_recipients()
                _templates()
                _users()
                if notices:
                    _demo_notices()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data: {len(clients)} clients, {len(buckets)} buckets, 2 segments, 3 test recipients, "
                    f"{len(TEMPLATES)} templates in en/fr/de."
                )
            )
        self.stdout.write("Demo logins:")
        for username, password, role in DEMO_LOGINS:
            self.stdout.write(f"  {username:<9} {password:<20} {role}")
