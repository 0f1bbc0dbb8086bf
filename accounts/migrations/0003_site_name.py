from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations


def name_the_site(apps, schema_editor):
    """allauth's e-mails name the site: make it the club, not example.com."""
    Site = apps.get_model("sites", "Site")
    domain = urlsplit(settings.PADDOCK_SITE_URL).netloc or "localhost"
    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.PADDOCK_CLUB_NAME}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_organisers_group"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(name_the_site, migrations.RunPython.noop)]
