"""allauth's Site row, kept in step with the settings.

allauth names the site in its e-mails from `django.contrib.sites`: the club's name and the
host of `PADDOCK_SITE_URL`. The settings are the truth: every `migrate` writes them into the
Site row, so an address changed in the environment reaches the e-mails without a trip to the
admin.
"""

from django.conf import settings
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections

from config.lib.site import site_domain


def sync_site(*, using: str = DEFAULT_DB_ALIAS, apps=None, **kwargs) -> None:
    """Write the club's name and public host into the current Site (a post_migrate hook)."""
    domain = site_domain()
    if not domain:  # no address configured yet: the checks say so, leave the row alone
        return
    if apps is None:
        from django.apps import apps
    try:
        Site = apps.get_model("sites", "Site")
    except LookupError:  # the sites app is not migrated (yet)
        return
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.PADDOCK_CLUB_NAME}
    )
    # The row's id is given, which leaves PostgreSQL's sequence behind it: move it on, or
    # the next site added in the admin gets the same id. Every migrate does it, so a
    # database made before this was fixed is mended by its next migrate.
    connection = connections[using]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Site]):
            cursor.execute(sql)
