"""Templates marked as their kind's default per language; discarded drafts; incidents that open when their first
notice goes out. Open incidents none of whose notices ever went out (only drafts, or notices cancelled before they
started) become drafts, so abandoned drafts stop counting as open incidents."""

from django.db import migrations, models

UNSENT = ("draft", "cancelled", "discarded")


def unsent_incidents_to_draft(apps, schema_editor):
    Incident = apps.get_model("campaigns", "Incident")
    Campaign = apps.get_model("campaigns", "Campaign")
    went_out = Campaign.objects.exclude(state__in=UNSENT) | Campaign.objects.filter(sent_at__isnull=False)
    Incident.objects.filter(status="open").exclude(pk__in=went_out.values("incident_id")).update(status="draft")


def drafts_to_open(apps, schema_editor):
    apps.get_model("campaigns", "Incident").objects.filter(status="draft").update(status="open")


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0007_public_pages"),
    ]

    operations = [
        migrations.AddField(
            model_name="templateversion",
            name="is_default",
            field=models.BooleanField(
                default=False,
                help_text="New notices of the template's kind start from this text in this language.",
                verbose_name="default for its kind in this language",
            ),
        ),
        migrations.AlterField(
            model_name="campaign",
            name="audience_size",
            field=models.PositiveIntegerField(
                default=0,
                help_text="People (distinct clients) counted at confirmation, and again when the main send starts.",
            ),
        ),
        migrations.AlterField(
            model_name="campaign",
            name="state",
            field=models.CharField(
                choices=[
                    ("draft", "draft"),
                    ("awaiting_approval", "awaiting approval"),
                    ("scheduled", "scheduled"),
                    ("sending", "sending"),
                    ("paused", "paused"),
                    ("completed", "completed"),
                    ("cancelled", "cancelled"),
                    ("failed", "failed"),
                    ("discarded", "discarded"),
                ],
                db_index=True,
                default="draft",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="incident",
            name="status",
            field=models.CharField(
                choices=[("draft", "not sent yet"), ("open", "open"), ("resolved", "resolved")],
                db_index=True,
                default="open",
                max_length=10,
            ),
        ),
        migrations.RunPython(unsent_incidents_to_draft, drafts_to_open),
    ]
