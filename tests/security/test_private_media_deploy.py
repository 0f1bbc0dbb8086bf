"""Private uploads stay private however the media are served (docs/deploy.md).

Django's own /media/ view refuses the private folders (config/views.py PRIVATE_MEDIA). A
site that lets nginx serve /media/ (section 7), or that makes the public folders of an S3
bucket readable (section 11), must refuse the same folders: the guide's nginx blocks and
bucket policy are checked against PRIVATE_MEDIA and the folders uploads really go to.
"""

import json
import re
from pathlib import Path

from config.views import PRIVATE_MEDIA
from meets.album_models import ALBUM_FOLDER

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def nginx_refused() -> set[str]:
    """The /media/<folder>/ locations the guide's nginx answers with 404."""
    text = DEPLOY.read_text()
    return set(re.findall(r"location /media/([\w/-]+/) \{\s*return 404;", text))


def public_s3_prefixes() -> list[str]:
    """The prefixes the guide's bucket policy lets anyone read."""
    text = DEPLOY.read_text()
    policy = re.search(r'```json\n(\{\s*"Version".*?)```', text, re.DOTALL)[1]
    resources = [
        resource
        for statement in json.loads(policy)["Statement"]
        if statement["Effect"] == "Allow"
        for resource in statement["Resource"]
    ]
    return [r.split(":::", 1)[1].split("/", 1)[1].removesuffix("*") for r in resources]


def test_album_photos_are_kept_in_a_private_folder():
    assert ALBUM_FOLDER in PRIVATE_MEDIA


def test_nginx_in_the_deploy_guide_refuses_every_private_folder():
    assert set(PRIVATE_MEDIA) <= nginx_refused()


def test_the_deploy_guides_bucket_policy_opens_no_private_folder():
    prefixes = public_s3_prefixes()
    assert prefixes  # the policy was found
    for folder in PRIVATE_MEDIA:
        assert not any(folder.startswith(prefix) for prefix in prefixes), (folder, prefixes)
