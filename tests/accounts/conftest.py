"""Fixtures for the accounts tests: more members, logged-in clients, the media folder."""

from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import User
from accounts.services import member_set_status
from tests.factories import MemberFactory


@pytest.fixture
def lapsed_member(db):
    member = MemberFactory(display_name="Lena Lapsed")
    return member_set_status(member=member, status=User.Status.LAPSED)


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def media_files():
    """The files stored under MEDIA_ROOT right now, as paths relative to it."""

    def files() -> set[str]:
        root = Path(settings.MEDIA_ROOT)
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}

    return files
