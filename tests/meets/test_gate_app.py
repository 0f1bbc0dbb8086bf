"""The gate app's shell, manifest and service worker (meets/views/gate.py).

What the app does in a browser (offline, scanning, two devices) is tested in
tests/browser/test_gate_app.py; here: what the server sends for it.
"""

import json
import re
from pathlib import Path

import pytest
from django.templatetags.static import static
from django.urls import reverse

from tests.test_security_headers import directives

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def shell(client, db):
    return client.get(reverse("meets:gate"))


def test_the_app_opens_for_anyone_and_asks_for_a_pairing(shell):
    assert shell.status_code == 200
    html = shell.content.decode()
    assert "Pair this device with a meet" in html
    # The shell shows nothing of any meet: the list comes from the API with a device token.
    assert 'id="gate-unpaired"' in html


def test_the_app_is_revalidated_on_every_load_and_kept_by_no_shared_cache(shell):
    cache_control = {part.strip() for part in shell["Cache-Control"].split(",")}

    assert {"no-cache", "private"} <= cache_control


def test_the_app_runs_under_the_sites_policy_with_no_inline_script_or_style(shell):
    policy = directives(shell["Content-Security-Policy"])
    html = shell.content.decode()

    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    # Every <script> loads a file of the site; none carries code of its own.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert len(scripts) == 2
    for attributes, body in scripts:
        assert body.strip() == ""
        assert re.search(r'src="/static/', attributes)
    assert "<style" not in html
    # No event handler attributes (onclick=...) either.
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", html)
    assert static("gate/app.js") in html
    assert static("vendor/jsqr/jsQR.js") in html


def test_the_app_may_use_the_camera_and_the_rest_of_the_site_may_not(shell, client):
    assert "camera=(self)" in shell["Permissions-Policy"]
    assert "microphone=()" in shell["Permissions-Policy"]
    assert "camera=()" in client.get(reverse("meets:gate_manifest"))["Permissions-Policy"]
    assert "camera=()" in client.get(reverse("meets:list"))["Permissions-Policy"]


def test_the_app_links_its_manifest_and_knows_the_servers_urls(shell):
    html = shell.content.decode()

    assert f'<link rel="manifest" href="{reverse("meets:gate_manifest")}">' in html
    assert f'data-service-worker="{reverse("meets:gate_service_worker")}"' in html
    assert f'data-checkin-url="{reverse("meets:checkin_code", args=["CODE"])}"' in html
    assert f'data-card-url="{reverse("membership:card_check", args=["TOKEN"])}"' in html


def test_the_app_speaks_the_visitors_language(client, db):
    html = client.get(reverse("meets:gate"), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert '<html lang="de">' in html


def test_the_manifest_makes_an_installable_standalone_app(client, db):
    response = client.get(reverse("meets:gate_manifest"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Paddock gate"
    assert manifest["start_url"] == "/meets/gate/"
    assert manifest["scope"] == "/meets/gate/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"]: icon for icon in manifest["icons"]}
    assert set(sizes) == {"192x192", "512x512"}
    for size, icon in sizes.items():
        assert icon["type"] == "image/png"
        assert icon["src"] == static(f"gate/icon-{size.split('x')[0]}.png")


def test_the_icons_are_the_size_the_manifest_says(client, db):
    from PIL import Image

    for size in (192, 512):
        with Image.open(REPO / "static" / "gate" / f"icon-{size}.png") as image:
            assert image.size == (size, size)


def test_the_service_worker_is_javascript_never_cached_and_scoped_to_the_app(client, db):
    response = client.get(reverse("meets:gate_service_worker"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == "/meets/gate/"


def precache_of(body: str) -> list[str]:
    return json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1))


def test_the_service_worker_keeps_the_shell_and_every_file_it_needs_offline(client, db):
    body = client.get(reverse("meets:gate_service_worker")).content.decode()

    assert precache_of(body) == [
        "/meets/gate/",
        "/meets/gate/manifest.webmanifest",
        static("gate/app.js"),
        static("gate/app.css"),
        static("vendor/jsqr/jsQR.js"),
        static("vendor/bootstrap/css/bootstrap.min.css"),
        static("gate/icon-192.png"),
        static("gate/icon-512.png"),
        static("img/favicon.svg"),
    ]
    # The API is left to the network (and to the app's own queue).
    assert "/api/" not in " ".join(precache_of(body))


def test_the_service_worker_keeps_the_hashed_names_production_serves(client, db, settings):
    class Hashed:
        def url(self, name):
            return f"/static/{name}.abc123"

    from django.contrib.staticfiles import storage

    original = storage.staticfiles_storage._wrapped
    storage.staticfiles_storage._wrapped = Hashed()
    try:
        body = client.get(reverse("meets:gate_service_worker")).content.decode()
    finally:
        storage.staticfiles_storage._wrapped = original

    assert "/static/gate/app.js.abc123" in precache_of(body)


def test_the_service_workers_cache_is_named_after_the_apps_files(client, db, monkeypatch, tmp_path):
    """A new app.js (same unhashed URL while debugging) makes a new cache: no stale app."""
    from meets.views import gate

    def cache_name():
        body = client.get(reverse("meets:gate_service_worker")).content.decode()
        return re.search(r'const CACHE = "(paddock-gate-[0-9a-f]{16})";', body).group(1)

    before = cache_name()
    assert cache_name() == before
    changed = tmp_path / "app.js"
    changed.write_text("// the next version")
    find = gate.finders.find
    monkeypatch.setattr(
        gate.finders, "find", lambda name: str(changed) if name == "gate/app.js" else find(name)
    )

    assert cache_name() != before


@pytest.mark.parametrize("name", ["meets:gate", "meets:gate_manifest", "meets:gate_service_worker"])
def test_the_app_answers_only_get(client, db, name):
    assert client.post(reverse(name)).status_code == 405


def test_the_vendored_qr_decoder_is_the_version_package_lock_names():
    lock = json.loads((REPO / "package-lock.json").read_text())
    package = json.loads((REPO / "package.json").read_text())

    assert package["dependencies"]["jsqr"] == lock["packages"]["node_modules/jsqr"]["version"]
    assert lock["packages"]["node_modules/jsqr"]["integrity"].startswith("sha512-")
    vendored = REPO / "static" / "vendor" / "jsqr"
    assert "jsQR" in (vendored / "jsQR.js").read_text()[:2000]
    assert "Apache License" in (vendored / "LICENSE").read_text()


def test_the_app_carries_the_countries_for_a_country_question_in_the_visitors_language(client, db):
    german = client.get(reverse("meets:gate"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    # English last: a request leaves its language active for the tests that follow.
    english = client.get(reverse("meets:gate")).content.decode()

    # In a <template>: inert, copied by app.js into a check-in question's select.
    assert '<template id="gate-countries">' in english
    assert '<option value="DE">Germany</option>' in english
    assert '<option value="DE">Deutschland</option>' in german
