"""The beat entry "campaign-reminders" (campaigns.tasks.reminders_due_task, gone) became "campaigns-due"
(campaigns.tasks.notices_due_task, scheduled starts and reminders). django-celery-beat's DatabaseScheduler keeps
entries removed from CELERY_BEAT_SCHEDULE, so the old row would send a task no worker knows every minute."""

from django.db import migrations


def retire(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task="campaigns.tasks.reminders_due_task").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0005_incident_leads"),
        ("django_celery_beat", "0018_improve_crontab_helptext"),
    ]

    operations = [migrations.RunPython(retire, migrations.RunPython.noop)]
