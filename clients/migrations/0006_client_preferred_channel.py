from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0005_viber_whatsapp_consent"),
    ]

    operations = [
        migrations.AddField(
            model_name="client",
            name="preferred_channel",
            field=models.CharField(blank=True, db_default="", max_length=8, verbose_name="Preferred channel"),
        ),
    ]
