"""The client registry in Django admin: lists, search, filters, actions, export, import page, permissions."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.importing import clients_import_csv
from clients.models import Bucket, BucketMembership, Client, ConsentEvent
from tests.factories import BucketFactory, ClientFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:clients_client_changelist"


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def login(client, *, groups: list[str], is_staff: bool = True, username: str | None = None):
    user = UserFactory(username=username or f"{groups[0].lower()}-user", groups=groups, is_staff=is_staff)
    client.force_login(user)
    return user


@pytest.fixture
def admin_client_(client):
    """A staff user in the Admins group (not a superuser: the group's permissions are what is tested)."""
    login(client, groups=["Admins"])
    return client


def listed(response) -> list[str]:
    return sorted(obj.external_ref for obj in response.context["cl"].result_list)


def test_changelist_shows_clients_and_the_import_link(admin_client_):
    """The client list loads with its columns and a link to the CSV import page."""
    ClientFactory(name="Ann Smith", uses_email_service=False)
    response = admin_client_.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert "Ann Smith" in response.text and "SMS" in response.text
    assert reverse("admin:clients_client_import") in response.text


@pytest.mark.parametrize(
    "term", ["Ann", "ann@customer.example.com", "CUST-ANN", "Acme", "06 12 34 56 78", "+33612345678"]
)
def test_search_by_name_email_reference_account_and_phone(admin_client_, term):
    """Search finds a client by name, email, reference, account or mobile number written any way."""
    ClientFactory(
        external_ref="CUST-ANN",
        name="Ann Smith",
        email="ann@customer.example.com",
        account="Acme",
        phone="+33612345678",
    )
    ClientFactory(external_ref="CUST-BOB", name="Bob Martin", account="Globex")
    response = admin_client_.get(reverse(CHANGELIST), {"q": term})
    assert listed(response) == ["CUST-ANN"]


def test_filters_by_bucket_services_language_consent_and_region(admin_client_):
    """Each filter narrows the list: bucket, services, language, active, consent, region."""
    bucket = BucketFactory()
    ann = ClientFactory(external_ref="A", language="fr", uses_email_service=False, region="Paris")
    ClientFactory(external_ref="B", language="en", uses_sms_service=False, sms_consent=False, is_active=False)
    BucketMembership.objects.create(bucket=bucket, client=ann)
    url = reverse(CHANGELIST)
    assert listed(admin_client_.get(url, {"bucket": bucket.pk})) == ["A"]
    assert listed(admin_client_.get(url, {"services": "sms_only"})) == ["A"]
    assert listed(admin_client_.get(url, {"services": "email"})) == ["B"]
    assert listed(admin_client_.get(url, {"language": "fr"})) == ["A"]
    assert listed(admin_client_.get(url, {"is_active__exact": "0"})) == ["B"]
    assert listed(admin_client_.get(url, {"sms_consent__exact": "0"})) == ["B"]
    assert listed(admin_client_.get(url, {"email_consent__exact": "1"})) == ["A", "B"]
    assert listed(admin_client_.get(url, {"region": "Paris"})) == ["A"]


def test_add_to_bucket_asks_then_adds_idempotently(admin_client_):
    """The action shows a bucket form first, then adds the selected clients; running it again adds nobody twice."""
    bucket = BucketFactory(name="Pilot group")
    clients = [ClientFactory(), ClientFactory()]
    data = {"action": "add_to_bucket", ACTION_CHECKBOX_NAME: [c.pk for c in clients], "index": 0}
    first = admin_client_.post(reverse(CHANGELIST), data)
    assert first.status_code == 200 and "Add to bucket" in first.text
    assert not BucketMembership.objects.exists()
    for _ in range(2):
        done = admin_client_.post(reverse(CHANGELIST), {**data, "bucket": bucket.pk, "apply": "1"}, follow=True)
        assert done.status_code == 200
    assert bucket.clients.count() == 2
    assert "2 clients added to Pilot group" in first.text or BucketMembership.objects.count() == 2


def test_remove_from_bucket(admin_client_):
    """The remove action takes the selected clients out of the chosen bucket only."""
    bucket, other = BucketFactory(), BucketFactory()
    ann, bob = ClientFactory(), ClientFactory()
    for b in (bucket, other):
        BucketMembership.objects.create(bucket=b, client=ann)
    BucketMembership.objects.create(bucket=bucket, client=bob)
    response = admin_client_.post(
        reverse(CHANGELIST),
        {"action": "remove_from_bucket", ACTION_CHECKBOX_NAME: [ann.pk], "index": 0, "bucket": bucket.pk, "apply": "1"},
        follow=True,
    )
    assert "1 client removed from" in response.text
    assert list(bucket.clients.all()) == [bob]
    assert list(other.clients.all()) == [ann]


def test_export_is_safe_against_formula_injection_and_imports_back(admin_client_):
    """Cells starting with = + - @ tab or CR get a leading quote; the import removes it again."""
    bucket = BucketFactory(name="Key accounts")
    evil = ClientFactory(
        external_ref="E-1",
        name='=HYPERLINK("http://evil","x")',
        account="@SUM(A1)",
        region="-2+3",
        network="\tTAB",
        plan="\rCR",
        phone="+33612345678",
        tags=["+vip"],
        attributes={"monthly_spend": -12},
    )
    BucketMembership.objects.create(bucket=bucket, client=evil)
    response = admin_client_.post(
        reverse(CHANGELIST), {"action": "export_csv", ACTION_CHECKBOX_NAME: [evil.pk], "index": 0}
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    row = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))[0]
    assert row["name"] == '\'=HYPERLINK("http://evil","x")'
    assert row["account"] == "'@SUM(A1)" and row["region"] == "'-2+3"
    assert row["network"] == "'\tTAB" and row["plan"] == "'\rCR"
    assert row["phone"] == "'+33612345678" and row["tags"] == "'+vip" and row["attr_monthly_spend"] == "'-12"
    for value in row.values():
        assert not re.match(r"^[=+\-@\t\r]", value)
    Client.objects.filter(pk=evil.pk).update(name="x", account="", region="", phone="", tags=[], attributes={})
    report = clients_import_csv(data=body.encode("utf-8"), filename="export.csv")
    assert (report.updated, report.errors) == (1, [])
    evil.refresh_from_db()
    assert (evil.name, evil.account, evil.region, evil.phone) == (
        '=HYPERLINK("http://evil","x")',
        "@SUM(A1)",
        "-2+3",
        "+33612345678",
    )
    assert (evil.tags, evil.attributes) == (["+vip"], {"monthly_spend": -12})


def test_import_page_previews_then_confirms(admin_client_):
    """Upload shows a dry-run preview with each bad row and writes nothing; confirming imports the good rows."""
    url = reverse("admin:clients_client_import")
    assert admin_client_.get(url).status_code == 200
    data = b"external_ref;name;phone;language\nC-1;Ann;06 12 34 56 78;fr\nC-2;Bob;123;en\n"
    preview = admin_client_.post(url, {"step": "preview", "file": SimpleUploadedFile("c.csv", data)})
    assert preview.status_code == 200
    assert "invalid phone number" in preview.text and "Preview" in preview.text
    assert preview.context["report"].created == 1
    assert not Client.objects.exists()
    token = preview.context["token"]
    done = admin_client_.post(url, {"step": "confirm", "token": token})
    assert done.status_code == 200 and done.context["done"]
    assert list(Client.objects.values_list("external_ref", "phone")) == [("C-1", "+33612345678")]
    again = admin_client_.post(url, {"step": "confirm", "token": token}, follow=True)
    assert "expired" in again.text


def test_import_page_refuses_unusable_file_and_foreign_token(admin_client_, client):
    """A file without the required columns is refused at preview; another user's token imports nothing."""
    url = reverse("admin:clients_client_import")
    bad = admin_client_.post(url, {"step": "preview", "file": SimpleUploadedFile("x.csv", b"name\nAnn\n")})
    assert "cannot be imported" in bad.text and "external_ref" in bad.text
    good = admin_client_.post(
        url, {"step": "preview", "file": SimpleUploadedFile("c.csv", b"external_ref,name\nC-1,Ann\n")}
    )
    token = good.context["token"]
    login(admin_client_, groups=["Admins"], username="second-admin")
    admin_client_.post(url, {"step": "confirm", "token": token})
    assert not Client.objects.exists()


def test_bucket_list_counts_members_and_sorts_by_them(admin_client_):
    """Buckets show annotated member counts linking to their members, sortable by count."""
    small, big = BucketFactory(name="Small"), BucketFactory(name="Big")
    for client in [ClientFactory() for _ in range(3)]:
        BucketMembership.objects.create(bucket=big, client=client)
    BucketMembership.objects.create(bucket=small, client=ClientFactory())
    url = reverse("admin:clients_bucket_changelist")
    response = admin_client_.get(url, {"o": "-2"})
    assert [b.name for b in response.context["cl"].result_list] == ["Big", "Small"]
    assert [b.member_count for b in response.context["cl"].result_list] == [3, 1]
    assert f"?bucket={big.pk}" in response.text
    assert [b.name for b in admin_client_.get(url, {"o": "2"}).context["cl"].result_list] == ["Small", "Big"]


def builder_post(name: str, rows: list[tuple[str, str, str]], **fields: object) -> dict[str, object]:
    """The segment form as the condition builder posts it: one row per (field, operator, value)."""
    data: dict[str, object] = {"name": name, "description": "", "match": "all", **fields}
    data.update({"cond-TOTAL_FORMS": str(len(rows)), "cond-INITIAL_FORMS": "0", "cond-MAX_NUM_FORMS": "20"})
    for index, (field, op, value) in enumerate(rows):
        data.update({f"cond-{index}-field": field, f"cond-{index}-op": op, f"cond-{index}-value": value})
    return data


def test_segment_definition_is_validated_and_counted(admin_client_):
    """A segment with an unknown field is refused with the selector's message; a valid one shows its count."""
    ClientFactory(region="North")
    ClientFactory(region="South")
    add = reverse("admin:clients_segment_add")
    bad = admin_client_.post(add, builder_post("Bad", [("regoin", "is", "North")]))
    assert bad.status_code == 200 and "unknown field" in bad.text
    good = admin_client_.post(add, builder_post("North", [("region", "is", "North")]))
    assert good.status_code == 302
    listing = admin_client_.get(reverse("admin:clients_segment_changelist"))
    assert listing.context["cl"].result_list[0].name == "North"
    segment = SegmentFactory(definition={"builtin": ["sms_clients"]})
    change = admin_client_.get(reverse("admin:clients_segment_change", args=[segment.pk]))
    assert "2 clients matched" in change.text


def test_consent_change_in_admin_goes_through_consent_history(admin_client_):
    """Unticking SMS consent in the change form records a ConsentEvent with source admin."""
    customer = ClientFactory()
    url = reverse("admin:clients_client_change", args=[customer.pk])
    form = admin_client_.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "tags": "vip",
            "attributes": "{}",
            "muted_kinds": [],
            "email_consent": "on",
            "uses_sms_service": "on",
            "uses_email_service": "on",
            "is_active": "on",
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
            "consent_events-TOTAL_FORMS": 0,
            "consent_events-INITIAL_FORMS": 0,
        }
    )
    data.pop("sms_consent", None)
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert not customer.sms_consent and customer.sms_opt_out_source == "admin"
    event = ConsentEvent.objects.get()
    assert (event.channel, event.action, event.source) == ("sms", "withdrawn", "admin")
    assert customer.tags == ["vip"]


def test_client_form_normalises_phone_and_refuses_bad_values(admin_client_):
    """Adding a client stores the phone in E.164 and refuses an invalid number or language."""
    add = reverse("admin:clients_client_add")
    base = {
        "external_ref": "N-1",
        "name": "New",
        "language": "fr",
        "attributes": "{}",
        "email_consent": "on",
        "sms_consent": "on",
        "memberships-TOTAL_FORMS": 0,
        "memberships-INITIAL_FORMS": 0,
        "consent_events-TOTAL_FORMS": 0,
        "consent_events-INITIAL_FORMS": 0,
    }
    bad = admin_client_.post(add, {**base, "phone": "12", "language": "xx"})
    assert bad.status_code == 200
    errors = bad.context["adminform"].form.errors
    assert "Invalid phone number." in errors["phone"] and "language" in errors
    assert admin_client_.post(add, {**base, "phone": "06 12 34 56 78"}).status_code == 302
    assert Client.objects.get().phone == "+33612345678"


def test_test_recipient_needs_an_address(admin_client_):
    """An internal test recipient without email and phone is refused."""
    response = admin_client_.post(
        reverse("admin:clients_testrecipient_add"), {"name": "Nobody", "language": "en", "is_active": "on"}
    )
    assert response.status_code == 200 and "Give an email address" in response.text


@pytest.mark.parametrize("group", ["Viewers", "Ops"])
def test_viewers_and_ops_can_read_but_not_change_clients(client, group):
    """Viewers and Ops (if given staff access) see clients read-only; changes, actions and import are refused."""
    login(client, groups=[group])
    customer = ClientFactory(name="Ann")
    bucket = BucketFactory()
    assert client.get(reverse(CHANGELIST)).status_code == 200
    change_url = reverse("admin:clients_client_change", args=[customer.pk])
    page = client.get(change_url)
    assert page.status_code == 200 and 'name="_save"' not in page.text
    assert client.post(change_url, {"name": "Changed"}).status_code == 403
    customer.refresh_from_db()
    assert customer.name == "Ann"
    action_form = client.get(reverse(CHANGELIST)).context["action_form"]
    actions = [name for name, _label in action_form.fields["action"].choices] if action_form else []
    assert "add_to_bucket" not in actions and "export_csv" not in actions
    client.post(
        reverse(CHANGELIST),
        {"action": "add_to_bucket", ACTION_CHECKBOX_NAME: [customer.pk], "index": 0, "bucket": bucket.pk, "apply": "1"},
    )
    assert not BucketMembership.objects.exists()
    assert client.get(reverse("admin:clients_client_import")).status_code == 403
    assert client.get(reverse("admin:clients_client_add")).status_code == 403


def test_ops_without_staff_flag_cannot_open_admin(client):
    """The demo Ops user is not staff: the admin sends them to its login page."""
    login(client, groups=["Ops"], is_staff=False)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302 and "login" in response["Location"]


def test_admins_can_change_clients_and_buckets(admin_client_):
    """The Admins group may add buckets and reach every client action."""
    response = admin_client_.post(reverse("admin:clients_bucket_add"), {"name": "West", "slug": "west"})
    assert response.status_code == 302 and Bucket.objects.filter(slug="west").exists()
    actions = [
        name for name, _label in admin_client_.get(reverse(CHANGELIST)).context["action_form"].fields["action"].choices
    ]
    assert {"add_to_bucket", "remove_from_bucket", "export_csv"} <= set(actions)


def test_consent_history_is_read_only_even_for_admins(admin_client_):
    """Consent events can be listed but never added, changed or deleted in admin."""
    customer = ClientFactory()
    event = ConsentEvent.objects.create(client=customer, channel="sms", action="withdrawn", source="sms_stop")
    assert admin_client_.get(reverse("admin:clients_consentevent_changelist")).status_code == 200
    assert admin_client_.get(reverse("admin:clients_consentevent_add")).status_code == 403
    assert (
        admin_client_.post(reverse("admin:clients_consentevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    page = admin_client_.get(reverse("admin:clients_consentevent_change", args=[event.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.text
    assert ConsentEvent.objects.filter(pk=event.pk).exists()
