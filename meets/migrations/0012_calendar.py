import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def backfill_updated_at(apps, schema_editor):
    """A meet saved before the field existed: its last known change is its creation."""
    Meet = apps.get_model("meets", "Meet")
    Meet.objects.update(updated_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("meets", "0011_meet_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="meet",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True,
                default=django.utils.timezone.now,
                editable=False,
                verbose_name="last changed",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(backfill_updated_at, migrations.RunPython.noop),
    ]
