"""The "Incident leads" group (emergency send, taking over a colleague's draft) and each notice's source.

Incident leads is added on top of Ops, as Approvers is: a small group of senior on-call people who may send a large
notice without waiting for a second person (after typing a reason) and may edit a draft someone else started.
Existing notices get their source from the "drafted" audit event that recorded it.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW_ALL = [
    "clients.view_client",
    "clients.view_bucket",
    "clients.view_segment",
    "clients.view_testrecipient",
    "clients.view_consentevent",
    "notifications.view_send",
    "notifications.view_message",
    "notifications.view_deliveryreport",
    "campaigns.view_campaign",
    "campaigns.view_incident",
    "campaigns.view_messagetemplate",
    "campaigns.view_templateversion",
    "campaigns.view_campaignevent",
]
GROUPS = {
    "Incident leads": VIEW_ALL + ["campaigns.emergency_send_campaign", "campaigns.edit_others_drafts"],
}
# The "drafted" event's detail → the notice's source.
SOURCE_FROM_DETAIL = (("source: alertmanager", "alert"), ("source: api", "api"), ("source: command line", "cli"))


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codes in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


def fill_sources(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    CampaignEvent = apps.get_model("campaigns", "CampaignEvent")
    for prefix, source in SOURCE_FROM_DETAIL:
        drafted = CampaignEvent.objects.filter(action="drafted", detail__startswith=prefix).values("campaign_id")
        Campaign.objects.filter(pk__in=drafted).update(source=source)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0004_notice_source_approval_emergency"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_groups, remove_groups),
        migrations.RunPython(fill_sources, migrations.RunPython.noop),
    ]
