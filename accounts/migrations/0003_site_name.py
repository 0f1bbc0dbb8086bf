from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.color import no_style
from django.db import connections, migrations


def name_the_site(apps, schema_editor):
    """allauth's e-mails name the site: make it the club, not example.com."""
    Site = apps.get_model("sites", "Site")
    domain = urlsplit(settings.PADDOCK_SITE_URL).netloc or "localhost"
    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.PADDOCK_CLUB_NAME}
    )
    # The row was made with its id given, which leaves PostgreSQL's sequence for the table
    # behind it: move the sequence on, or the next site added gets the same id (a 500).
    connection = connections[Site.objects.db]  # the database the row went to
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Site]):
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_organisers_group"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(name_the_site, migrations.RunPython.noop)]
