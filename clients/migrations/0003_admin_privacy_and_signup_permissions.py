"""The privacy permissions (export everything held about a client, erase a client) and deciding sign-ups (see and
approve or reject them), given to the Admins group.

The group is made by ``campaigns/migrations/0002_staff_groups.py``; whichever of the two runs first creates it, so
the order between the apps does not matter.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ("export_client_data", "erase_client_data")
GRANTED = (*CODENAMES, "view_signuprequest", "change_signuprequest")


def grant(apps, schema_editor):
    config = apps.get_app_config("clients")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Admins")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="clients", codename__in=GRANTED))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name="Admins"):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="clients", codename__in=GRANTED))
    Permission.objects.filter(content_type__app_label="clients", codename__in=CODENAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0002_signup_request_and_append_only_consent"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="client",
            options={
                "ordering": ("name", "id"),
                "permissions": [
                    ("export_client_data", "Can export everything held about a client"),
                    ("erase_client_data", "Can erase a client and its personal data"),
                ],
                "verbose_name": "client",
                "verbose_name_plural": "clients",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
