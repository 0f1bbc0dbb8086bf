"""Demo data for accounts: staff, an organiser and a few dozen members with varied privacy.

Invented people only. Idempotent: every row is looked up by its e-mail address first.
"""

import datetime
import functools
import random

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import ORGANISERS_GROUP, User
from accounts.services import member_approve

DEMO_PASSWORD = "paddock-demo-2026"
DEMO_STAFF_EMAIL = "staff@paddock.example"
DEMO_ORGANISER_EMAIL = "organiser@paddock.example"
DEMO_MEMBER_EMAIL = "member@paddock.example"

FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elif",
    "Felix",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Katrin",
    "Lars",
    "Mila",
    "Nils",
    "Olga",
    "Paul",
    "Quentin",
    "Rosa",
    "Sven",
    "Tara",
    "Ulrich",
    "Vera",
    "Willem",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Aiden",
    "Brigitte",
    "Chiara",
    "Dmitri",
    "Emma",
    "Finn",
    "Gaspard",
    "Hanna",
]
LAST = [
    "Achterberg",
    "Brandt",
    "Castellano",
    "Dahlquist",
    "Eberhardt",
    "Falkner",
    "Grünwald",
    "Holloway",
    "Iversen",
    "Jankowski",
    "Kessler",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Oberholzer",
    "Pettersen",
    "Quist",
    "Rasmussen",
    "Schäfer",
    "Thorne",
    "Uhlig",
    "Vandermeer",
    "Whitcombe",
    "Yilmaz",
    "Zeller",
]
PLACES = [
    ("DE", "Cologne"),
    ("DE", "Munich"),
    ("DE", "Hamburg"),
    ("DE", "Stuttgart"),
    ("NL", "Utrecht"),
    ("BE", "Ghent"),
    ("GB", "Leeds"),
    ("GB", "Bristol"),
    ("CH", "Zürich"),
    ("AT", "Graz"),
    ("FR", "Lyon"),
    ("IT", "Turin"),
    ("SE", "Gothenburg"),
    ("DK", "Aarhus"),
    ("PL", "Poznań"),
    ("US", "Austin"),
    ("CA", "Calgary"),
    ("AU", "Perth"),
    ("NO", "Bergen"),
    ("LU", "Luxembourg"),
]
BIOS = [
    "Bought my 1M new in 2011 and never looked back.",
    "Track days at Spa and the Ring; the car lives in a heated garage over winter.",
    "Second owner. Slowly bringing the car back to factory spec.",
    "Weekend driver, Sunday-morning coffee meets, always happy to talk diffs and bushings.",
    "",
]
MEMBER_COUNT = 130


@functools.cache
def _password_hash() -> str:
    return make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose


def _member(email: str, name: str, **fields) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, display_name=name, password=_password_hash(), **fields)
        user.save()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def seed(stdout, rng: random.Random) -> None:
    with transaction.atomic():
        staff = _member(
            DEMO_STAFF_EMAIL,
            "Registrar Demo",
            is_staff=True,
            is_superuser=True,
            country="DE",
            city="Nürburg",
            name_visibility=User.Visibility.PUBLIC,
            bio="The club's registrar: verifies cars and approves members.",
        )
        member_approve(member=staff, notify=False)
        organiser = _member(
            DEMO_ORGANISER_EMAIL,
            "Olivia Organiser",
            country="DE",
            city="Adenau",
            name_visibility=User.Visibility.PUBLIC,
            show_location=True,
            bio="Organises the Nürburgring weekend and the spring breakfast meets.",
        )
        member_approve(member=organiser, notify=False)
        organiser.groups.add(Group.objects.get(name=ORGANISERS_GROUP))
        member = _member(
            DEMO_MEMBER_EMAIL,
            "Max Member",
            country="NL",
            city="Utrecht",
            name_visibility=User.Visibility.MEMBERS,
            bio="Valencia Orange, manual, 48,000 km.",
        )
        member_approve(member=member, notify=False)

        visibilities = [User.Visibility.PUBLIC, User.Visibility.MEMBERS, User.Visibility.NOBODY]
        for index in range(MEMBER_COUNT):
            first, last = FIRST[index % len(FIRST)], LAST[(index * 7) % len(LAST)]
            country, city = PLACES[index % len(PLACES)]
            user = _member(
                f"{first.lower()}.{index:02d}@members.paddock.example",
                f"{first} {last}",
                country=country,
                city=city,
                bio=BIOS[index % len(BIOS)],
                name_visibility=visibilities[rng.randrange(3)],
                directory_listed=rng.random() > 0.15,
                show_location=rng.random() > 0.5,
            )
            # Most members are active; a few wait for approval, a few have lapsed.
            if index % 12 == 5:
                continue  # stays pending
            if user.membership_status == User.Status.PENDING:
                member_approve(member=user, notify=False)
                if index % 12 == 9:
                    User.objects.filter(pk=user.pk).update(
                        membership_status=User.Status.LAPSED,
                        renewal_date=datetime.date(2025, 12, 31),
                    )
    stdout.write(
        f"  accounts: {User.objects.count()} users "
        f"({User.objects.active().count()} active members)\n"
    )
