from django.db import migrations


def backfill_last_seen_from_checkins(apps, schema_editor):
    """Cars checked in at a meet were seen that day: one set-based UPDATE.

    The day is taken in the site's time zone (new check-ins use the meet's own zone: a
    check-in after midnight far away may be a day off here, which the register can bear).
    """
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    from register.lastseen import advance_from

    car_model = apps.get_model("register", "Car")
    rsvp_model = apps.get_model("meets", "RSVP")
    advance_from(
        car_model.objects.all(),
        rsvp_model.objects.filter(checked_in_at__isnull=False),
        date=TruncDate("checked_in_at"),
        kind="check_in",
        today=timezone.localdate(),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("meets", "0004_verbose_names"),
        ("register", "0013_last_seen"),
    ]

    operations = [
        migrations.RunPython(backfill_last_seen_from_checkins, migrations.RunPython.noop),
    ]
