"""The site's own row: named by a data migration, and more sites can be added after it."""

from django.contrib.sites.models import Site
from django.test import Client


def test_staff_can_add_a_site_in_the_admin(staff):
    # The data migration makes the site with its id given (SITE_ID); on PostgreSQL the
    # table's sequence must then be moved past it, or the next site gets id 1 again and
    # the admin answers 500 (found by the crawling fuzzer, tests/fuzz/test_crawl.py).
    client = Client()
    client.force_login(staff)

    response = client.post(
        "/admin/sites/site/add/", {"domain": "meets.example.org", "name": "Meets", "_save": "1"}
    )

    assert response.status_code == 302
    assert Site.objects.filter(domain="meets.example.org").exclude(pk=1).exists()


def test_a_migrate_mends_a_database_whose_site_sequence_lags_behind(staff, settings):
    # A database migrated before the data migration moved the sequence on: every migrate's
    # post_migrate hook (accounts.site.sync_site) moves it past the site's row.
    from django.db import connection

    from accounts.site import sync_site

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('django_site', 'id'), 1, false)")
    settings.PADDOCK_SITE_URL = "https://register.example.org"

    sync_site()
    Site.objects.create(domain="meets.example.org", name="Meets")

    assert Site.objects.get(pk=settings.SITE_ID).domain == "register.example.org"
    assert Site.objects.count() == 2
