from django.db import migrations

ORGANISERS = "Organisers"


def create_organisers(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name=ORGANISERS)


def remove_organisers(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name=ORGANISERS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_organisers, remove_organisers)]
