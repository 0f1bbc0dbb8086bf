"""Fixtures for the meets tests: cars for the cast, logged-in clients, and ways to read a page.

The cast comes from tests/conftest.py (member, other_member, pending_member, organiser,
staff). Here they get cars, and tests get two readers for HTML: `page_text` (what a person
reads, tags stripped) and `table_rows` (the cells of a table, e.g. the colour-mix chart).
"""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import ORGANISERS_GROUP, User
from accounts.services import member_set_status
from tests.factories import MemberFactory
from tests.register.factories import CarFactory


@pytest.fixture
def client_for(db):
    """A fresh test client logged in as `user` (None: an anonymous visitor)."""

    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def member_car(member):
    """The member's own car: a verified Alpine White 1M with a plaque."""
    return CarFactory(owner=member)


@pytest.fixture
def other_car(other_member):
    return CarFactory(owner=other_member)


@pytest.fixture
def lapsed_member(db):
    member = MemberFactory(display_name="Lena Lapsed")
    return member_set_status(member=member, status=User.Status.LAPSED)


@pytest.fixture
def helper(db):
    """A member named a check-in helper by the meets under test (see their `meet` fixtures)."""
    return MemberFactory(display_name="Hanna Helper")


@pytest.fixture
def other_organiser(db):
    """In the Organisers group, but not an organiser of the meets under test."""
    user = MemberFactory(display_name="Orla Otherorganiser")
    # get_or_create, as tests/conftest.py's organiser: a transactional test's flush takes
    # the data migration's group with it.
    user.groups.add(Group.objects.get_or_create(name=ORGANISERS_GROUP)[0])
    return user


@pytest.fixture
def member_with_car(db):
    """A new active member and a car they own: `person, car = member_with_car(...)`."""

    def make(**member_fields):
        person = MemberFactory(**member_fields)
        return person, CarFactory(owner=person)

    return make


# --- Reading pages ---------------------------------------------------------------------


class _Text(HTMLParser):
    SKIP = {"script", "style", "title", "svg"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def _text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


@pytest.fixture
def page_text():
    """The words a person reads on a page (a response or an HTML string), spaces collapsed."""

    def read(page) -> str:
        html = page if isinstance(page, str) else page.content.decode()
        return _text(html)

    return read


@pytest.fixture
def table_rows():
    """The body rows of the table with id `table_id`: each the text of its visible cells."""

    def read(response, table_id: str) -> list[list[str]]:
        html = response.content.decode()
        match = re.search(rf'<table[^>]*id="{re.escape(table_id)}".*?</table>', html, re.S)
        assert match, f"no table #{table_id} on the page"
        body = re.search(r"<tbody>(.*?)</tbody>", match.group(0), re.S).group(1)
        cell = re.compile(r"<t[hd]( [^>]*)?>(.*?)</t[hd]>", re.S)
        return [
            [
                _text(content)
                for attrs, content in cell.findall(row)
                if 'aria-hidden="true"' not in attrs  # a decorative bar, not a number
            ]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
        ]

    return read


@pytest.fixture
def card_for():
    """The text of the meet card (an <article>) on a list page that names `title`."""

    def read(response, title: str) -> str | None:
        html = response.content.decode()
        for article in re.findall(r"<article.*?</article>", html, re.S):
            text = _text(article)
            if title in text:
                return text
        return None

    return read
