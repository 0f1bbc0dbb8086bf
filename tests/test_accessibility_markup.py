"""Accessible markup on the main pages, without a browser: fast enough for every run.

Each page is rendered with the Django test client and read with the standard library's
HTML parser: every <img> has an alt attribute (alt="" for a decorative one), every form
control has a label (a <label for>, a wrapping <label>, aria-label or aria-labelledby), and
every link and button has a name. The browser tests (tests/browser/test_accessibility.py)
run axe-core on the same pages for what markup alone cannot tell, such as colour contrast.
"""

import datetime
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image

from tests.factories import MemberFactory
from tests.meets.factories import (
    MeetFactory,
    QuestionFactory,
    RSVPFactory,
    WaitlistedRSVPFactory,
)
from tests.register.factories import (
    CarFactory,
    ColourFactory,
    MileageReadingFactory,
    PhotoFactory,
    TimelineEntryFactory,
)

NO_LABEL_NEEDED = {"hidden", "submit", "reset", "button"}


class MarkupAudit(HTMLParser):
    """Collects the images, form controls, links and buttons that lack a text alternative."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.controls: list[tuple[str, dict, bool]] = []  # (tag, attrs, inside a <label>)
        self.open_named: list[tuple[str, dict, list[str]]] = []  # open <a>/<button> and text
        self.images_without_alt: list[str] = []
        self.unnamed: list[str] = []

    @staticmethod
    def show(tag: str, attrs: dict) -> str:
        shown = " ".join(f'{k}="{v}"' for k, v in attrs.items() if k != "style")
        return f"<{tag} {shown}>"

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "label":
            self.label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag == "img":
            if "alt" not in attrs:
                self.images_without_alt.append(self.show(tag, attrs))
            for _, _, text in self.open_named:
                text.append(attrs.get("alt", ""))
        elif tag in ("input", "select", "textarea"):
            self.controls.append((tag, attrs, self.label_depth > 0))
        elif tag in ("a", "button") and (tag == "button" or "href" in attrs):
            self.open_named.append((tag, attrs, []))

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_depth = max(0, self.label_depth - 1)
        elif tag in ("a", "button") and self.open_named and self.open_named[-1][0] == tag:
            tag, attrs, text = self.open_named.pop()
            if not ("".join(text).strip() or self.aria_name(attrs) or attrs.get("title")):
                self.unnamed.append(self.show(tag, attrs))

    def handle_data(self, data):
        for _, _, text in self.open_named:
            text.append(data)

    def aria_name(self, attrs: dict) -> bool:
        if attrs.get("aria-label", "").strip():
            return True
        labelledby = attrs.get("aria-labelledby", "").split()
        return bool(labelledby) and all(i in self.ids for i in labelledby)

    def unlabelled_controls(self) -> list[str]:
        missing = []
        for tag, attrs, wrapped in self.controls:
            kind = attrs.get("type", "text").lower() if tag == "input" else tag
            if kind in NO_LABEL_NEEDED:
                continue
            if kind == "image":
                labelled = bool(attrs.get("alt", "").strip())
            else:
                labelled = (
                    wrapped
                    or attrs.get("id", "") in self.label_for
                    or self.aria_name(attrs)
                    or bool(attrs.get("title", "").strip())
                )
            if not labelled:
                missing.append(self.show(tag, attrs))
        return missing


def audit(html: str) -> MarkupAudit:
    parser = MarkupAudit()
    parser.feed(html)
    parser.close()
    return parser


def test_the_audit_finds_what_is_missing():
    found = audit(
        '<img src="a.jpg"><img src="b.jpg" alt="">'
        '<label for="q">Search</label><input id="q" name="q">'
        '<input name="city"><label>Bio <textarea name="bio"></textarea></label>'
        '<select name="car" aria-labelledby="nowhere"></select>'
        '<input type="hidden" name="csrf"><input type="submit" value="Go">'
        '<a href="/x"><img src="c.jpg" alt="Car"></a><a href="/y"></a>'
        '<button type="button" aria-label="Close"></button><button><span></span></button>'
    )
    assert found.images_without_alt == ['<img src="a.jpg">']
    assert found.unlabelled_controls() == [
        '<input name="city">',
        '<select name="car" aria-labelledby="nowhere">',
    ]
    assert found.unnamed == ['<a href="/y">', "<button >"]


@pytest.fixture
def club(member, organiser):
    """The same kind of content as the browser tests: photos, a timeline, a full meet."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (212, 99, 24)).save(buffer, "JPEG")
    member.avatar.save("olga.jpg", ContentFile(buffer.getvalue()))
    orange = ColourFactory(name="Valencia Orange", paint_code="A76", swatch="#E8641B")
    car = CarFactory(owner=member, colour=orange, story="Delivered in Munich in June 2011.")
    PhotoFactory(car=car, is_cover=True, caption="At the Nordschleife, autumn 2023")
    PhotoFactory(car=car, caption="")
    TimelineEntryFactory(car=car, title="First service")
    MileageReadingFactory(car=car, read_on=datetime.date(2023, 6, 1), kilometres=41_200)
    CarFactory(country="FR")
    meet = MeetFactory(title="Eifel drive", capacity=2, organisers=[organiser])
    going = [RSVPFactory(meet=meet), RSVPFactory(meet=meet)]
    WaitlistedRSVPFactory(meet=meet)
    open_meet = MeetFactory(title="Sunday breakfast", organisers=[organiser])
    QuestionFactory(meet=open_meet, label="Dietary needs")
    QuestionFactory(meet=open_meet, label="Dinner?", kind="yes_no", required=True)
    QuestionFactory(meet=open_meet, label="Extras", kind="multiple", choices=["Lap", "Photo"])
    QuestionFactory(meet=open_meet, label="Size", kind="single", choices=["S", "M"], required=True)
    MemberFactory(display_name="Dora Directory")
    return {"car": car, "meet": meet, "rsvp": going[0], "open_meet": open_meet, "member": member}


PAGES = {
    "home": (None, lambda c: "/"),
    "register list": (None, lambda c: "/register/"),
    "car, public view": (None, lambda c: c["car"].get_absolute_url()),
    "statistics": (None, lambda c: "/register/stats/"),
    "meets list": (None, lambda c: "/meets/"),
    "meet, visitor": (None, lambda c: c["meet"].get_absolute_url()),
    "sign-up": (None, lambda c: "/accounts/signup/"),
    "log-in": (None, lambda c: "/accounts/login/"),
    "car, owner's view": ("member", lambda c: c["car"].get_absolute_url()),
    "meet, member": ("member", lambda c: c["meet"].get_absolute_url()),
    "RSVP form": ("member", lambda c: f"/meets/{c['open_meet'].slug}/rsvp/"),
    "my meets": ("member", lambda c: "/meets/mine/"),
    "garage": ("member", lambda c: "/register/garage/"),
    "register your car": ("member", lambda c: "/register/add/"),
    "timeline entry form": ("member", lambda c: f"/register/cars/{c['car'].pk}/timeline/"),
    "photo form": ("member", lambda c: f"/register/cars/{c['car'].pk}/photos/"),
    "profile": ("member", lambda c: "/accounts/profile/"),
    "profile edit": ("member", lambda c: "/accounts/profile/edit/"),
    "members' directory": ("member", lambda c: "/members/"),
    "member's page": ("member", lambda c: c["member"].get_absolute_url()),
    "attendee list": ("organiser", lambda c: f"/meets/{c['meet'].slug}/manage/"),
    "check-in list": ("organiser", lambda c: f"/meets/{c['meet'].slug}/checkin/"),
    "check-in by QR code": ("organiser", lambda c: c["rsvp"].get_checkin_url()),
    "new meet form": ("organiser", lambda c: "/meets/new/"),
    "questions form": ("organiser", lambda c: f"/meets/{c['open_meet'].slug}/questions/"),
}


@pytest.mark.parametrize("name", PAGES)
def test_every_image_has_alt_text_and_every_control_a_label(name, request, club):
    viewer, path_of = PAGES[name]
    client = Client()
    if viewer:
        client.force_login(request.getfixturevalue(viewer))
    path = path_of(club)

    response = client.get(path)

    assert response.status_code == 200, f"{name}: {path} answered {response.status_code}"
    found = audit(response.content.decode())
    assert found.images_without_alt == [], f"{name}: <img> without alt"
    assert found.unlabelled_controls() == [], f"{name}: form controls without a label"
    assert found.unnamed == [], f"{name}: links or buttons without a name"


def test_date_and_time_fields_keep_their_focus_ring_while_any_part_has_the_focus():
    """A date-and-time field is one box with parts (day, month, year, the calendar button):
    the site's ring is drawn while any part has the focus (:focus-within), not only :focus."""
    css = (Path(settings.BASE_DIR) / "static" / "css" / "site.css").read_text()
    rule = re.search(r'input\[type="datetime-local"\]:focus-within[^{]*\{([^}]*)\}', css)

    assert rule, "site.css has no :focus-within rule for date-and-time fields"
    assert "outline: 2px solid" in rule.group(1)
    assert 'input[type="date"]:focus-within' in css
