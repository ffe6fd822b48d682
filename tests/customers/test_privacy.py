"""Consent history is append-only and visible; admins export everything held and erase keeping counts."""

import json

import pytest
from django.apps import apps

from clients.consent import consent_set
from clients.models import BucketMembership, Client, ConsentEvent
from tests.factories import BucketFactory, ClientFactory, UserFactory

pytestmark = pytest.mark.django_db


def _messages_for(customer, n=2):
    send_model = apps.get_model("notifications", "Send")
    message_model = apps.get_model("notifications", "Message")
    send = send_model.objects.create(label="Fibre outage North", channels=["email", "sms"])
    return [
        message_model.objects.create(
            send=send,
            client=customer,
            channel=channel,
            destination=dest,
            subject="Outage",
            body=f"Hello {customer.name}",
            state="delivered",
        )
        for channel, dest in (("email", customer.email), ("sms", customer.phone))[:n]
    ]


def test_consent_history_is_append_only():
    """A saved event cannot be changed, neither by save() nor by a queryset update."""
    customer = ClientFactory()
    consent_set(client=customer, channel="email", given=False, source="admin")
    event = ConsentEvent.objects.get()
    event.source = "forged"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        ConsentEvent.objects.update(source="forged")
    assert ConsentEvent.objects.get().source == "admin"


def test_consent_history_shows_in_admin_read_only(admin_client):
    """The consent events admin lists events and offers no add or change."""
    customer = ClientFactory()
    consent_set(client=customer, channel="sms", given=False, source="sms_stop", detail="inbound 42")
    listing = admin_client.get("/admin/clients/consentevent/")
    assert listing.status_code == 200 and "inbound 42" in listing.content.decode()
    assert admin_client.get("/admin/clients/consentevent/add/").status_code == 403
    event = ConsentEvent.objects.get()
    assert admin_client.post(f"/admin/clients/consentevent/{event.pk}/change/", {"source": "x"}).status_code == 403
    change_page = admin_client.get(f"/admin/clients/client/{customer.pk}/change/")
    assert change_page.status_code == 200 and "inbound 42" in change_page.content.decode()


def test_export_downloads_everything_held(admin_client):
    """The export action returns JSON with the client's fields, buckets, consent history and messages."""
    customer = ClientFactory(name="Ana Export")
    BucketMembership.objects.create(bucket=BucketFactory(name="North"), client=customer)
    consent_set(client=customer, channel="email", given=False, source="unsubscribe_link", detail="op-1")
    _messages_for(customer)
    response = admin_client.post(
        "/admin/clients/client/", {"action": "export_clients", "_selected_action": [customer.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["client"]["name"] == "Ana Export" and data["client"]["email"] == customer.email
    assert data["buckets"] == ["North"]
    assert data["consent_events"][0]["source"] == "unsubscribe_link"
    assert data["messages_summary"] == {"email:delivered": 1, "sms:delivered": 1}
    assert {m["destination"] for m in data["messages"]} == {customer.email, customer.phone}


def test_erase_asks_then_removes_the_client_and_keeps_anonymous_counts(admin_client):
    """Erasure confirms first, then deletes the client and blanks its messages, which still count."""
    customer = ClientFactory()
    consent_set(client=customer, channel="email", given=False, source="admin")
    messages = _messages_for(customer)
    asked = admin_client.post("/admin/clients/client/", {"action": "erase_clients", "_selected_action": [customer.pk]})
    assert asked.status_code == 200 and "cannot be undone" in asked.content.decode()
    assert Client.objects.filter(pk=customer.pk).exists()
    done = admin_client.post(
        "/admin/clients/client/", {"action": "erase_clients", "confirm_erase": "yes", "_selected_action": [customer.pk]}
    )
    assert done.status_code == 302
    assert not Client.objects.filter(pk=customer.pk).exists()
    assert not ConsentEvent.objects.exists()
    message_model = apps.get_model("notifications", "Message")
    rows = list(
        message_model.objects.filter(pk__in=[m.pk for m in messages]).values(
            "client_id", "destination", "body", "subject", "state", "channel"
        )
    )
    assert len(rows) == 2
    assert all(r["client_id"] is None and r["destination"] == r["body"] == r["subject"] == "" for r in rows)
    assert sorted(r["state"] for r in rows) == ["delivered", "delivered"]


@pytest.mark.parametrize("group", ["Viewers", "Ops", "Approvers"])
def test_privacy_actions_need_their_own_permissions(client, group):
    """Reading clients is not exporting them: Viewers, Ops and Approvers see no privacy action and cannot run one."""
    customer = ClientFactory(name="Not yours")
    _messages_for(customer)
    client.force_login(UserFactory(groups=[group], is_staff=True))
    listing = client.get("/admin/clients/client/")
    assert listing.status_code == 200
    form = listing.context["action_form"]
    actions = [name for name, _label in form.fields["action"].choices] if form else []
    assert "export_clients" not in actions and "erase_clients" not in actions
    for action in ("export_clients", "erase_clients"):
        response = client.post(
            "/admin/clients/client/", {"action": action, "confirm_erase": "yes", "_selected_action": [customer.pk]}
        )
        assert response.get("Content-Disposition") is None and b"Fibre outage North" not in response.content
    assert Client.objects.filter(pk=customer.pk).exists()


def test_privacy_services_check_the_permission_too(admin_user):
    """The service refuses a user without the permission, whatever door it is called from."""
    from django.core.exceptions import PermissionDenied

    from notifications.privacy import client_erase, client_export_data

    customer = ClientFactory()
    viewer = UserFactory(groups=["Viewers"], is_staff=True)
    with pytest.raises(PermissionDenied):
        client_export_data(client=customer, by=viewer)
    with pytest.raises(PermissionDenied):
        client_erase(client=customer, by=viewer)
    assert Client.objects.filter(pk=customer.pk).exists()
    assert client_export_data(client=customer, by=admin_user)["client"]["id"] == customer.pk


def test_admins_group_holds_the_privacy_permissions(client):
    """The Admins group may export and erase; the permissions are named for what they allow."""
    customer = ClientFactory()
    admin_member = UserFactory(groups=["Admins"], is_staff=True)
    assert admin_member.has_perm("clients.export_client_data") and admin_member.has_perm("clients.erase_client_data")
    client.force_login(admin_member)
    response = client.post("/admin/clients/client/", {"action": "export_clients", "_selected_action": [customer.pk]})
    assert response.status_code == 200 and json.loads(response.content)["client"]["id"] == customer.pk
