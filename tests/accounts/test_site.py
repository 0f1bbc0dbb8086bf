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
