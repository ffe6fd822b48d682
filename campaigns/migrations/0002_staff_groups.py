"""Staff groups and their permissions: Ops send notices, Admins keep clients, Viewers read, Approvers approve."""

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
    "Viewers": VIEW_ALL,
    "Ops": VIEW_ALL
    + [
        "campaigns.add_campaign",
        "campaigns.change_campaign",
        "campaigns.send_campaign",
        "campaigns.test_send_campaign",
        "campaigns.add_incident",
        "campaigns.change_incident",
        "campaigns.add_messagetemplate",
        "campaigns.change_messagetemplate",
        "campaigns.add_templateversion",
        "campaigns.change_templateversion",
    ],
    "Approvers": VIEW_ALL + ["campaigns.approve_campaign"],
    "Admins": VIEW_ALL
    + [
        f"clients.{action}_{model}"
        for model in ("client", "bucket", "bucketmembership", "segment", "testrecipient")
        for action in ("add", "change", "delete")
    ]
    + [
        f"campaigns.{action}_{model}"
        for model in ("messagetemplate", "templateversion")
        for action in ("add", "change", "delete")
    ]
    + ["campaigns.approve_campaign"],
}


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


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("clients", "0001_initial"),
        ("notifications", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
