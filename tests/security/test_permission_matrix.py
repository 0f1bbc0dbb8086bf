"""Who may see what: every URL of the site, for every kind of visitor, in one table.

The URLs come from the URL configuration itself (`get_resolver()`), not from a list kept
by hand, so a new URL fails `test_every_url_has_a_decision` — and every cell of the new
pattern fails too — until someone decides who may see it and writes it into EXPECTED.

Each cell is one request by one role, and its own test: a GET,
`register:edit[pending car]-member`, or for the views that only take POST also an empty
POST, `POST register:photo_delete[photo of pending car]-member`. The objects are made
once for the module (see `world`); every test's own changes are rolled back. The rules
the table encodes (see register/access.py and meets/access.py):

- anonymous visitors are sent to log in (302) from every page that needs an account;
- somebody else's private object — a car waiting for staff, a draft meet, a meet's
  organiser pages, another member's RSVP or check-in code — answers 404, exactly as a
  page that does not exist, so an outsider learns nothing;
- a role that may see an object but not change it gets 403 (another member on a
  public car's edit page, a check-in helper on the organiser's pages);
- a view that only takes POST answers GET with 405, after the login check;
- the admin is one group: anonymous and non-staff are sent to the admin's login, staff
  see it (a sample of its pages is visited; all of its names are covered by the rule).

"unverified" signed up and never confirmed their e-mail address. allauth stops them at
the login form; given a session anyway (force_login), they are treated exactly like a
pending member: the site's own checks look at the membership, not at the address.
"""

import datetime
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import ORGANISERS_GROUP, User
from meets import albums, gate
from meets.models import Meet, MeetSeries
from meets.offer_models import Offer
from membership import services as membership_services
from membership.card import card_token
from membership.models import Collection, CollectionItem, Mandate, Statement, StatementLine
from membership.services import invoice_issue
from register import sale
from register.lastseen import still_mine_token
from register.models import Car, CarChangeRequest, Listing, SaleInvitation
from register.sightings import sighting_report
from tests.accounts.images import jpeg_bytes
from tests.factories import MemberFactory, PendingMemberFactory
from tests.meets.factories import MeetFactory, PastMeetFactory, RSVPFactory
from tests.register.factories import (
    CarFactory,
    ClaimFactory,
    MileageReadingFactory,
    PhotoFactory,
    TimelineEntryFactory,
    TransferFactory,
)

ROLES = (
    "anonymous",  # not logged in
    "unverified",  # signed up, e-mail address not confirmed (logged in with force_login)
    "pending",  # e-mail confirmed, membership waiting for staff
    "member",  # an active member with no relation to any object here
    "owner",  # owns the public and the pending car, has the RSVP, is in the directory
    "other_organiser",  # in the Organisers group; organises only "other meet"
    "organiser",  # organises the published and the draft meet
    "helper",  # check-in helper of the published meet
    "staff",
)


def answers(*codes: int) -> dict[str, int]:
    """The status each role gets, in the order of ROLES."""
    return dict(zip(ROLES, codes, strict=True))


# Every row, in the order of ROLES:
#     anonymous, unverified, pending, member, owner, other_organiser, organiser, helper, staff
EVERYONE = answers(200, 200, 200, 200, 200, 200, 200, 200, 200)
LOGGED_IN = answers(302, 200, 200, 200, 200, 200, 200, 200, 200)
POST_ONLY = answers(302, 405, 405, 405, 405, 405, 405, 405, 405)
ACTIVE_MEMBERS = answers(302, 403, 403, 200, 200, 200, 200, 200, 200)
REFUSED_WHEN_LOGGED_IN = answers(302, 403, 403, 403, 403, 403, 403, 403, 403)
STAFF_ONLY = answers(302, 403, 403, 403, 403, 403, 403, 403, 200)
NOBODY = answers(404, 404, 404, 404, 404, 404, 404, 404, 404)
# A public car's owner pages: others may see the car, so they get 403, not 404.
OWNER_OF_PUBLIC_CAR = answers(302, 403, 403, 403, 200, 403, 403, 403, 200)
# A car waiting for staff exists only for its owner and staff.
OWNER_OF_PENDING_CAR = answers(302, 404, 404, 404, 200, 404, 404, 404, 200)
# An entry an earlier owner wrote on a public car: only staff may change it.
EARLIER_OWNERS_ENTRY = answers(302, 403, 403, 403, 403, 403, 403, 403, 200)
# A meet's organiser pages: 404 to outsiders (the organiser of another meet too),
# 403 to its check-in helper, who may only check cars in.
ORGANISER_OF_MEET = answers(302, 404, 404, 404, 404, 404, 200, 403, 200)
ORGANISER_OF_DRAFT = answers(302, 404, 404, 404, 404, 404, 200, 404, 200)
ORGANISER_OF_OTHER_MEET = answers(302, 404, 404, 404, 404, 200, 404, 404, 200)
# A page of a draft meet open to anyone once published: 404 to all but its organisers.
ORGANISER_OF_DRAFT_PUBLICLY = answers(404, 404, 404, 404, 404, 404, 200, 404, 200)
# A meet album's photo waiting for review: its uploader (the owner), the organisers, staff.
UPLOADER = answers(404, 404, 404, 404, 200, 404, 200, 404, 200)


def after_login(row: dict[str, int]) -> dict[str, int]:
    """A row for a page that needs an account: anonymous visitors are sent to log in."""
    return {**row, "anonymous": 302}


# A member's own invoice or receipt: it exists for them and for staff only.
OWN_DOCUMENT = answers(302, 404, 404, 404, 200, 404, 404, 404, 200)
# A seller's ended listing, or a conversation about a listing: the seller and staff.
SELLER_AND_STAFF = answers(302, 404, 404, 404, 200, 404, 404, 404, 200)
# The admin: anonymous and every non-staff account are sent to the admin's login.
ADMIN = answers(302, 302, 302, 302, 302, 302, 302, 302, 200)

NO_ARGS = "-"

# pattern name -> {object the URL points at -> {role -> status}}
EXPECTED: dict[str, dict[str, dict[str, int]]] = {
    # --- The site ---------------------------------------------------------------------
    "home": {NO_ARGS: EVERYONE},
    "bench_baseline": {NO_ARGS: EVERYONE},
    # The site's icon, for browsers that ask for /favicon.ico: a redirect to the static file.
    "favicon": {NO_ARGS: answers(302, 302, 302, 302, 302, 302, 302, 302, 302)},
    "media": {
        "car photo file": EVERYONE,
        # Claim evidence (a registration document) is served by its own staff-only view,
        # however the path is spelled.
        "claim evidence file": NOBODY,
        "claim evidence file via ./": NOBODY,
        "claim evidence file via ../": NOBODY,
        "claim evidence file via //": NOBODY,
        # A sighting's photo too (staff see it through register:sighting_photo).
        "sighting photo file": NOBODY,
        # Meet album photos too, approved or not (meets:album_photo asks who may see them).
        "album photo file": NOBODY,
    },
    # --- Accounts (ours) --------------------------------------------------------------
    "accounts:profile": {NO_ARGS: LOGGED_IN},
    "accounts:profile_edit": {NO_ARGS: LOGGED_IN},
    "accounts:export": {NO_ARGS: LOGGED_IN},
    "accounts:delete": {NO_ARGS: LOGGED_IN},
    # The language switcher takes a POST from anyone, anonymous visitors included.
    "accounts:language": {NO_ARGS: answers(405, 405, 405, 405, 405, 405, 405, 405, 405)},
    "members:directory": {NO_ARGS: ACTIVE_MEMBERS},
    "members:detail": {"listed member": ACTIVE_MEMBERS},
    # --- Accounts (allauth) -----------------------------------------------------------
    # Logged-in people who open the login or signup page are sent on (302).
    "account_login": {NO_ARGS: answers(200, 302, 302, 302, 302, 302, 302, 302, 302)},
    "account_signup": {NO_ARGS: answers(200, 302, 302, 302, 302, 302, 302, 302, 302)},
    "account_logout": {NO_ARGS: answers(302, 200, 200, 200, 200, 200, 200, 200, 200)},
    "account_inactive": {NO_ARGS: EVERYONE},
    "account_reauthenticate": {NO_ARGS: LOGGED_IN},
    # Members confirm who they are with their password only (ACCOUNT_REAUTHENTICATION_METHODS):
    # the by-code pages (allauth 65.22) refuse everyone logged in.
    "account_request_reauthentication_code": {NO_ARGS: REFUSED_WHEN_LOGGED_IN},
    "account_confirm_reauthentication_code": {NO_ARGS: REFUSED_WHEN_LOGGED_IN},
    "account_email": {NO_ARGS: LOGGED_IN},
    "account_email_verification_sent": {NO_ARGS: EVERYONE},
    "account_change_password": {NO_ARGS: LOGGED_IN},
    # Every account has a password: "set password" sends them to "change password".
    "account_set_password": {NO_ARGS: answers(302, 302, 302, 302, 302, 302, 302, 302, 302)},
    "account_reset_password": {NO_ARGS: EVERYONE},
    "account_reset_password_done": {NO_ARGS: EVERYONE},
    "account_reset_password_from_key": {"a wrong reset key": EVERYONE},
    "account_reset_password_from_key_done": {NO_ARGS: EVERYONE},
    "account_confirm_email": {"a wrong confirmation key": EVERYONE},
    # Login by code is off: there is no code to confirm.
    "account_confirm_login_code": {NO_ARGS: answers(302, 302, 302, 302, 302, 302, 302, 302, 302)},
    # --- The register: public ---------------------------------------------------------
    "register:list": {NO_ARGS: EVERYONE},
    "register:car": {
        "public car": EVERYONE,
        "pending car": answers(404, 404, 404, 404, 200, 404, 404, 404, 200),
    },
    "register:stats": {NO_ARGS: EVERYONE},
    "register:export_csv": {NO_ARGS: EVERYONE},
    "register:export_json": {NO_ARGS: EVERYONE},
    # --- The public API (config/api.py): public data for everyone, the same for all ----------
    "api:api-root": {NO_ARGS: NOBODY},
    "api:openapi-json": {NO_ARGS: EVERYONE},
    "api:openapi-view": {NO_ARGS: EVERYONE},
    "api:index": {NO_ARGS: EVERYONE},
    "api:model_lines": {NO_ARGS: EVERYONE},
    "api:production_figures": {NO_ARGS: EVERYONE},
    "api:colours": {NO_ARGS: EVERYONE},
    "api:cars": {NO_ARGS: EVERYONE},
    "api:statistics": {NO_ARGS: EVERYONE},
    # A car waiting for staff is not in the API, for its owner and staff neither.
    "api:car": {"public car (api)": EVERYONE, "pending car (api)": NOBODY},
    "api:car_by_plaque": {"public car's plaque": EVERYONE, "a plaque no car has": NOBODY},
    # --- The check-in app's API (meets/gate_api.py): a device's token, never a session ----
    "gate_api:api-root": {NO_ARGS: NOBODY},
    "gate_api:openapi-json": {NO_ARGS: EVERYONE},
    "gate_api:openapi-view": {NO_ARGS: EVERYONE},
    # Without `Authorization: Device <token>` nobody gets the list, staff included.
    "gate_api:meet": {NO_ARGS: answers(401, 401, 401, 401, 401, 401, 401, 401, 401)},
    # POST only (ninja answers a GET with 405); tests/meets/test_gate_api.py posts to them.
    "gate_api:checkins": {NO_ARGS: answers(405, 405, 405, 405, 405, 405, 405, 405, 405)},
    "gate_api:cards": {NO_ARGS: answers(405, 405, 405, 405, 405, 405, 405, 405, 405)},
    "gate_api:walkins": {NO_ARGS: answers(405, 405, 405, 405, 405, 405, 405, 405, 405)},
    # --- The register: members --------------------------------------------------------
    "register:garage": {NO_ARGS: LOGGED_IN},
    "register:add": {NO_ARGS: ACTIVE_MEMBERS},
    "register:claim_find": {NO_ARGS: ACTIVE_MEMBERS},
    "register:claim": {
        # The owner is told they own it already and sent to the car (302).
        "public car": answers(302, 403, 403, 200, 302, 200, 200, 200, 200),
        # Applicants get 403 before the car is looked up, so they learn nothing either.
        "pending car": answers(302, 403, 403, 404, 302, 404, 404, 404, 200),
    },
    "register:edit": {"public car": OWNER_OF_PUBLIC_CAR, "pending car": OWNER_OF_PENDING_CAR},
    "register:timeline_add": {
        "public car": OWNER_OF_PUBLIC_CAR,
        "pending car": OWNER_OF_PENDING_CAR,
    },
    "register:mileage_add": {
        "public car": OWNER_OF_PUBLIC_CAR,
        "pending car": OWNER_OF_PENDING_CAR,
    },
    "register:photo_add": {
        "public car": OWNER_OF_PUBLIC_CAR,
        "pending car": OWNER_OF_PENDING_CAR,
    },
    # An owner corrects the entries they wrote; an earlier owner's stay as written
    # (403 to the owner too), and staff may correct any.
    "register:timeline_edit": {
        "timeline entry": OWNER_OF_PUBLIC_CAR,
        "timeline entry of pending car": OWNER_OF_PENDING_CAR,
        "earlier owner's timeline entry": EARLIER_OWNERS_ENTRY,
    },
    "register:timeline_delete": {"timeline entry": POST_ONLY},
    "register:mileage_edit": {
        "mileage reading": OWNER_OF_PUBLIC_CAR,
        "mileage reading of pending car": OWNER_OF_PENDING_CAR,
        "earlier owner's mileage reading": EARLIER_OWNERS_ENTRY,
    },
    "register:mileage_delete": {"mileage reading": POST_ONLY},
    "register:transfer": {"public car": OWNER_OF_PUBLIC_CAR, "pending car": OWNER_OF_PENDING_CAR},
    "register:photo_cover": {"photo": POST_ONLY},
    "register:photo_delete": {"photo": POST_ONLY},
    "register:transfer_respond": {"transfer": POST_ONLY},
    # The yearly "still mine" link: only the member it was sent to, while they own the car
    # (staff too get 403); a link the site did not sign says so to everyone logged in (400).
    "register:still_mine": {
        "owner's still-mine link": answers(302, 403, 403, 403, 200, 403, 403, 403, 403),
        "tampered still-mine link": answers(302, 400, 400, 400, 400, 400, 400, 400, 400),
    },
    # --- The register: cars for sale ---------------------------------------------------
    # A live listing is public; an ended one exists for its seller and staff only.
    "register:for_sale": {NO_ARGS: EVERYONE},
    "register:listing": {
        "listing": EVERYONE,
        "ended listing": answers(404, 404, 404, 404, 200, 404, 404, 404, 200),
    },
    # Only the seller ends a listing: staff may look (403), not act for them.
    "register:listing_end": {
        "listing": answers(302, 403, 403, 403, 200, 403, 403, 403, 403),
        "ended listing": answers(302, 404, 404, 404, 200, 404, 404, 404, 403),
    },
    "register:enquire": {"listing": POST_ONLY},
    # Only the current owner of a verified car lists it; staff too get 403.
    "register:sell": {
        "unlisted car": answers(302, 403, 403, 403, 200, 403, 403, 403, 403),
        "pending car": answers(302, 404, 404, 404, 403, 404, 404, 404, 403),
    },
    "register:enquiries": {NO_ARGS: LOGGED_IN},
    # A thread: its buyer (no role here), the seller and staff; nobody else knows it exists.
    "register:enquiry": {"enquiry": SELLER_AND_STAFF},
    # Any account opens the link (it says what to do); a tampered token finds nothing.
    "register:sale_invitation": {
        "sale invitation": LOGGED_IN,
        "tampered sale invitation": answers(302, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    # --- The register: staff ----------------------------------------------------------
    "register:review": {NO_ARGS: STAFF_ONLY},
    "register:review_car": {"pending car": POST_ONLY},
    "register:review_claim": {"claim": POST_ONLY},
    "register:review_change": {"change request": POST_ONLY},
    # 403 for every member whatever the number: the claim's existence is not revealed.
    "register:claim_evidence": {"claim": STAFF_ONLY},
    "register:export_staff_csv": {NO_ARGS: STAFF_ONLY},
    # Sightings: anyone may report one; only staff see what came in, photos included.
    "register:sighting_new": {NO_ARGS: EVERYONE},
    "register:sighting_review": {NO_ARGS: STAFF_ONLY},
    "register:sighting_decide": {"sighting": POST_ONLY},
    "register:sighting_photo": {"sighting": STAFF_ONLY},
    "register:import": {NO_ARGS: STAFF_ONLY},
    # Every fact with its source: the owner (and staff) add evidence; staff settle.
    "register:fact_add": {
        "public car's colour": OWNER_OF_PUBLIC_CAR,
        "pending car's colour": OWNER_OF_PENDING_CAR,
    },
    "register:fact_settle": {"public car's colour": STAFF_ONLY},
    "register:facts_disputed": {NO_ARGS: STAFF_ONLY},
    # --- Meets: public and members ----------------------------------------------------
    "meets:list": {NO_ARGS: EVERYONE},
    "meets:mine": {NO_ARGS: LOGGED_IN},
    "meets:calendar": {NO_ARGS: EVERYONE},
    "meets:create": {NO_ARGS: answers(302, 403, 403, 403, 403, 200, 200, 403, 200)},
    "meets:detail": {
        "published meet": EVERYONE,
        "draft meet": answers(404, 404, 404, 404, 404, 404, 200, 404, 200),
        "other meet": EVERYONE,
    },
    # A page of a meet's cars: as the meet's page shows them (members only, by default).
    "meets:cars": {
        "published meet": answers(404, 404, 404, 200, 200, 200, 200, 200, 200),
        "draft meet": ORGANISER_OF_DRAFT_PUBLICLY,
        "other meet": answers(404, 404, 404, 200, 200, 200, 200, 200, 200),
    },
    "meets:ics": {
        "published meet": EVERYONE,
        "draft meet": answers(404, 404, 404, 404, 404, 404, 200, 404, 200),
    },
    "meets:rsvp": {
        # The owner has an RSVP already: told so and sent to the meet (302).
        "published meet": answers(302, 200, 200, 200, 302, 200, 200, 200, 200),
        "draft meet": ORGANISER_OF_DRAFT,
    },
    "meets:rsvp_cancel": {"rsvp": POST_ONLY},
    # Only the RSVP's own member: staff too get 404 (they see codes in the admin).
    "meets:rsvp_qr": {"rsvp": answers(302, 404, 404, 404, 200, 404, 404, 404, 404)},
    # A scanned code: the gate (organiser, helper, staff) sees the RSVP; its own member
    # is sent to the meet's page; anyone else: no such code.
    "meets:checkin_code": {"rsvp's code": answers(302, 404, 404, 404, 302, 404, 200, 200, 200)},
    # The gate app's shell, manifest and service worker: the device's token (in the
    # pairing link's fragment, sent to the API only) is the credential, not the session.
    "meets:gate": {NO_ARGS: EVERYONE},
    "meets:gate_manifest": {NO_ARGS: EVERYONE},
    "meets:gate_service_worker": {NO_ARGS: EVERYONE},
    # --- Meets: organisers and helpers ------------------------------------------------
    "meets:edit": {
        "published meet": ORGANISER_OF_MEET,
        "draft meet": ORGANISER_OF_DRAFT,
        "other meet": ORGANISER_OF_OTHER_MEET,
    },
    "meets:cancel": {"published meet": ORGANISER_OF_MEET, "draft meet": ORGANISER_OF_DRAFT},
    "meets:attendees": {"published meet": ORGANISER_OF_MEET, "draft meet": ORGANISER_OF_DRAFT},
    "meets:attendees_csv": {
        "published meet": ORGANISER_OF_MEET,
        "draft meet": ORGANISER_OF_DRAFT,
    },
    "meets:message": {"published meet": ORGANISER_OF_MEET, "draft meet": ORGANISER_OF_DRAFT},
    "meets:helpers": {"published meet": ORGANISER_OF_MEET, "draft meet": ORGANISER_OF_DRAFT},
    "meets:questions": {"published meet": ORGANISER_OF_MEET, "draft meet": ORGANISER_OF_DRAFT},
    "meets:publish": {"draft meet": POST_ONLY},
    "meets:promote": {"published meet": POST_ONLY},
    "meets:checkin": {
        "published meet": answers(302, 404, 404, 404, 404, 404, 200, 200, 200),
        "draft meet": ORGANISER_OF_DRAFT,
    },
    "meets:checkin_rsvp": {"rsvp at its meet": POST_ONLY},
    # The check-in app's devices: the meet's organisers and helpers.
    "meets:gate_devices": {
        "published meet": answers(302, 404, 404, 404, 404, 404, 200, 200, 200),
        "draft meet": ORGANISER_OF_DRAFT,
    },
    "meets:gate_device_revoke": {"organiser's device": POST_ONLY},
    # --- Meets: albums (the owner went to the past "album meet"; organiser organises it) ---
    "meets:album": {"album meet": EVERYONE, "draft meet": ORGANISER_OF_DRAFT_PUBLICLY},
    # Its attendees and organisers add photos; other members may look, not add (403).
    "meets:album_add": {
        "album meet": answers(302, 403, 403, 403, 200, 403, 200, 403, 200),
        "draft meet": ORGANISER_OF_DRAFT,
    },
    "meets:album_review": {"album meet": ORGANISER_OF_MEET},
    # A photo waiting for review exists for its uploader (the owner) and the organisers.
    "meets:album_photo": {"approved album photo": EVERYONE, "pending album photo": UPLOADER},
    "meets:album_thumb": {"approved album photo": EVERYONE, "pending album photo": UPLOADER},
    # An approved photo is changed by the organisers only; a pending one by its uploader too.
    "meets:album_photo_edit": {
        "approved album photo": answers(302, 403, 403, 403, 403, 403, 200, 403, 200),
        "pending album photo": after_login(UPLOADER),
    },
    "meets:album_photo_delete": {"approved album photo": POST_ONLY},
    # --- Meets: clones and series (the published meet is a date of "series") ---------------
    "meets:clone": {
        "published meet": ORGANISER_OF_MEET,
        "draft meet": ORGANISER_OF_DRAFT,
        "other meet": ORGANISER_OF_OTHER_MEET,
    },
    # A meet in a series already: those who may repeat it are sent to its series (302).
    "meets:repeat": {
        "published meet": answers(302, 404, 404, 404, 404, 404, 302, 403, 302),
        "other meet": ORGANISER_OF_OTHER_MEET,
    },
    # A series is public once a date is published; one of drafts only is its organisers'.
    "meets:series": {
        "series": EVERYONE,
        "draft series": answers(404, 404, 404, 404, 404, 404, 200, 404, 200),
    },
    "meets:series_ics": {
        "series": EVERYONE,
        "draft series": answers(404, 404, 404, 404, 404, 404, 200, 404, 200),
    },
    "meets:series_edit": {"series": ORGANISER_OF_MEET, "draft series": ORGANISER_OF_DRAFT},
    # Waiting-list offers: only the RSVP's own member (staff too get 404). No-shows: the
    # organisers of meets (the Organisers group) and staff.
    "meets:offer_accept": {"owner's offer": POST_ONLY},
    "meets:offer_decline": {"owner's offer": POST_ONLY},
    "meets:no_shows": {NO_ARGS: answers(302, 403, 403, 403, 403, 200, 200, 403, 200)},
    # --- The club office: a member's own documents -----------------------------------------
    # Someone else's invoice or receipt does not exist (404); staff may open any.
    "membership:invoice": {"owner's invoice": OWN_DOCUMENT},
    "membership:invoice_pdf": {"owner's invoice": OWN_DOCUMENT},
    "membership:receipt_pdf": {"owner's payment": OWN_DOCUMENT},
    # --- The club office: a member's own membership ----------------------------------
    # Everyone logged in has a membership page; an applicant's says what comes next.
    "membership:home": {NO_ARGS: LOGGED_IN},
    "membership:renew": {NO_ARGS: POST_ONLY},
    # An applicant is told the card comes after approval; its image exists only then.
    "membership:card": {NO_ARGS: LOGGED_IN},
    "membership:card_png": {NO_ARGS: answers(302, 404, 404, 200, 200, 200, 200, 200, 200)},
    # A scanned card: staff, organisers and meets' helpers see valid/lapsed; a member,
    # the card's holder too, gets 403; a code the site did not sign is "Not valid" (404).
    "membership:card_check": {
        "owner's card": answers(302, 403, 403, 403, 403, 200, 200, 200, 200),
        "tampered card": answers(302, 403, 403, 403, 403, 404, 404, 404, 404),
    },
    # --- The club office: direct debit ------------------------------------------------
    # Everyone logged in sees the mandate page: who may not give one is told why there.
    "membership:mandate": {NO_ARGS: LOGGED_IN},
    "membership:mandate_revoke": {NO_ARGS: POST_ONLY},
    "office:collections": {NO_ARGS: STAFF_ONLY},
    "office:collection": {"collection": STAFF_ONLY},
    "office:collection_file": {"collection": STAFF_ONLY},
    "office:debit_return": {"debit": POST_ONLY},
    # --- The club office: bank statements (staff only) --------------------------------
    "office:statements": {NO_ARGS: STAFF_ONLY},
    "office:statement": {"bank statement": STAFF_ONLY},
    "office:unmatched": {NO_ARGS: STAFF_ONLY},
    "office:line_match": {"statement line": POST_ONLY},
    "office:line_ignore": {"statement line": POST_ONLY},
    # --- The club office: inbox, members due, invoices, dues report (staff only) ------
    # 403 for every member, even on their own invoice: members see theirs under /membership/.
    "office:inbox": {NO_ARGS: STAFF_ONLY},
    "office:digest": {NO_ARGS: POST_ONLY},
    "office:members": {NO_ARGS: STAFF_ONLY},
    "office:members_csv": {NO_ARGS: STAFF_ONLY},
    "office:invoices": {NO_ARGS: STAFF_ONLY},
    "office:invoice_manage": {"owner's invoice": STAFF_ONLY},
    "office:payment_add": {"owner's invoice": POST_ONLY},
    "office:credit_note_add": {"owner's invoice": POST_ONLY},
    "office:refund_add": {"owner's invoice": POST_ONLY},
    "office:dues": {NO_ARGS: STAFF_ONLY},
    "office:dues_csv": {"a year of invoices": STAFF_ONLY},
}

# Whole namespaces decided by one rule, and the pages of it that are visited.
GROUPS: dict[str, dict[str, dict[str, dict[str, int]]]] = {
    "admin": {
        "admin:index": {NO_ARGS: ADMIN},
        "admin:accounts_user_changelist": {NO_ARGS: ADMIN},
        "admin:register_car_changelist": {NO_ARGS: ADMIN},
        "admin:register_car_change": {"pending car (admin)": ADMIN},
        "admin:register_claim_change": {"claim (admin)": ADMIN},
        "admin:meets_meet_change": {"draft meet (admin)": ADMIN},
        "admin:meets_rsvp_changelist": {NO_ARGS: ADMIN},
    },
}


def after_post(row: dict[str, int]) -> dict[str, int]:
    """A row where the roles that may act are sent on (302) instead of shown a page."""
    return {role: 302 if code == 200 else code for role, code in row.items()}


# The views that only take POST, POSTed to with no data: the same ladder, with 302 for
# those who may act. Each test's changes are rolled back.
EXPECTED_POST: dict[str, dict[str, dict[str, int]]] = {
    "register:photo_cover": {
        "photo": after_post(OWNER_OF_PUBLIC_CAR),
        "photo of pending car": after_post(OWNER_OF_PENDING_CAR),
    },
    "register:photo_delete": {
        "photo": after_post(OWNER_OF_PUBLIC_CAR),
        "photo of pending car": after_post(OWNER_OF_PENDING_CAR),
    },
    # Somebody else's transfer does not exist: staff too get 404 (they use the admin).
    # The seller, with no action chosen, is told to choose one (302).
    "register:transfer_respond": {"transfer": answers(302, 404, 404, 404, 302, 404, 404, 404, 404)},
    # With the box unticked, those who may delete are sent back to the entry (302).
    "register:timeline_delete": {
        "timeline entry": after_post(OWNER_OF_PUBLIC_CAR),
        "timeline entry of pending car": after_post(OWNER_OF_PENDING_CAR),
        "earlier owner's timeline entry": after_post(EARLIER_OWNERS_ENTRY),
    },
    "register:mileage_delete": {
        "mileage reading": after_post(OWNER_OF_PUBLIC_CAR),
        "mileage reading of pending car": after_post(OWNER_OF_PENDING_CAR),
        "earlier owner's mileage reading": after_post(EARLIER_OWNERS_ENTRY),
    },
    "register:review_car": {"pending car": after_post(STAFF_ONLY)},
    "register:review_claim": {"claim": after_post(STAFF_ONLY)},
    "register:review_change": {"change request": after_post(STAFF_ONLY)},
    # With no decision chosen, staff are sent back to the queue with a message.
    "register:sighting_decide": {"sighting": after_post(STAFF_ONLY)},
    # An empty message: every account is sent back to the listing; the seller may not write.
    "register:enquire": {"listing": answers(302, 302, 302, 302, 403, 302, 302, 302, 302)},
    "meets:rsvp_cancel": {"rsvp": answers(302, 404, 404, 404, 302, 404, 404, 404, 404)},
    "meets:publish": {
        "draft meet": after_post(ORGANISER_OF_DRAFT),
        "published meet": after_post(ORGANISER_OF_MEET),
    },
    "meets:promote": {
        "published meet": after_post(ORGANISER_OF_MEET),
        "draft meet": after_post(ORGANISER_OF_DRAFT),
    },
    "meets:checkin_rsvp": {
        "rsvp at its meet": answers(302, 404, 404, 404, 404, 404, 302, 302, 302)
    },
    # A helper may revoke only a device of their own (403); organisers and staff any.
    "meets:gate_device_revoke": {
        "organiser's device": answers(302, 404, 404, 404, 404, 404, 302, 403, 302)
    },
    # The uploader deletes their own photo; the organisers and staff may too.
    "meets:album_photo_delete": {
        "approved album photo": answers(302, 403, 403, 403, 302, 403, 302, 403, 302),
        "pending album photo": answers(302, 404, 404, 404, 302, 404, 302, 404, 302),
    },
    "meets:offer_accept": {"owner's offer": answers(302, 404, 404, 404, 302, 404, 404, 404, 404)},
    "meets:offer_decline": {"owner's offer": answers(302, 404, 404, 404, 302, 404, 404, 404, 404)},
    # No membership to renew before approval (403); members not yet due are told so (302).
    "membership:renew": {NO_ARGS: answers(302, 403, 403, 302, 302, 302, 302, 302, 302)},
    # Without a mandate named, every account is sent back to its mandate page.
    "membership:mandate_revoke": {NO_ARGS: after_post(LOGGED_IN)},
    # With no reason given, staff are sent back to the collection with a message.
    "office:debit_return": {"debit": after_post(STAFF_ONLY)},
    # Staff with no invoice number are told to give one; setting aside needs nothing more.
    "office:line_match": {"statement line": after_post(STAFF_ONLY)},
    "office:line_ignore": {"statement line": after_post(STAFF_ONLY)},
    "office:digest": {NO_ARGS: after_post(STAFF_ONLY)},
    # An empty form: staff see the invoice's page again with the form's errors (200).
    "office:payment_add": {"owner's invoice": STAFF_ONLY},
    "office:credit_note_add": {"owner's invoice": STAFF_ONLY},
    "office:refund_add": {"owner's invoice": STAFF_ONLY},
}


# --- The URL configuration ---------------------------------------------------------------


def url_patterns() -> list[tuple[str, str]]:
    """Every URL pattern as (namespace-qualified name, route), walking includes."""
    found = []

    def walk(patterns, namespace: str | None, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, inner, route)
            elif isinstance(pattern, URLPattern):
                name = pattern.name
                if name and namespace:
                    name = f"{namespace}:{name}"
                found.append((name or f"<unnamed {route}>", route))

    walk(get_resolver().url_patterns, None, "")
    return found


def group_of(name: str) -> str | None:
    for namespace in GROUPS:
        if name.startswith(f"{namespace}:") or name.startswith(f"<unnamed {namespace}/"):
            return namespace
    return None


def table_for(method: str, name: str) -> dict[str, dict[str, int]] | None:
    if method == "POST":
        return EXPECTED_POST.get(name)
    return EXPECTED.get(name) or GROUPS.get(group_of(name) or "", {}).get(name)


def cells() -> list:
    """One pytest parameter per (method, pattern, object, role), from the URL configuration."""
    names = []
    for name, _route in url_patterns():
        if group_of(name) is None and name not in names:
            names.append(name)
    for sample in GROUPS.values():
        names += list(sample)
    params = []
    for method, name in [("GET", name) for name in names] + [("POST", n) for n in EXPECTED_POST]:
        for variant in table_for(method, name) or {"undecided": {}}:
            for role in ROLES:
                ident = name if variant == NO_ARGS else f"{name}[{variant}]"
                ident = f"{ident}-{role}" if method == "GET" else f"POST {ident}-{role}"
                params.append(pytest.param(method, name, variant, role, id=ident))
    return params


# --- The cast and their objects ----------------------------------------------------------


def build_world() -> SimpleNamespace:
    organisers = Group.objects.get_or_create(name=ORGANISERS_GROUP)[0]

    unverified = User.objects.create_user(email="unverified@example.org", password="x" * 20)
    EmailAddress.objects.create(
        user=unverified, email=unverified.email, verified=False, primary=True
    )
    owner = MemberFactory(display_name="Olga Owner")
    organiser = MemberFactory(display_name="Oscar Organiser")
    other_organiser = MemberFactory(display_name="Orla Otherorganiser")
    organisers.user_set.add(organiser, other_organiser)
    people = {
        "unverified": unverified,
        "pending": PendingMemberFactory(display_name="Petra Pending"),
        "member": MemberFactory(display_name="Otto Other"),
        "owner": owner,
        "other_organiser": other_organiser,
        "organiser": organiser,
        "helper": MemberFactory(display_name="Hanna Helper"),
        "staff": MemberFactory(display_name="Stella Staff", is_staff=True, is_superuser=True),
    }
    assert owner.membership_number and owner.directory_listed  # listed in the directory

    public_car = CarFactory(owner=owner)
    pending_car = CarFactory(owner=owner, pending=True)
    photo = PhotoFactory(car=public_car, is_cover=True)
    pending_photo = PhotoFactory(car=pending_car, is_cover=True)
    entry = TimelineEntryFactory(car=public_car, author=owner)
    pending_entry = TimelineEntryFactory(car=pending_car, author=owner)
    earlier_entry = TimelineEntryFactory(car=public_car, author=None)
    reading = MileageReadingFactory(car=public_car, recorded_by=owner)
    pending_reading = MileageReadingFactory(car=pending_car, recorded_by=owner)
    earlier_reading = MileageReadingFactory(car=public_car, recorded_by=None)
    change = CarChangeRequest.objects.create(
        car=public_car, proposed_by=owner, changes={"market": "GB"}
    )
    claim = ClaimFactory(
        car=public_car,
        claimant=MemberFactory(display_name="Clara Claimant"),
        evidence_photo=ContentFile(jpeg_bytes(), name="evidence.jpg"),
    )
    sighting = sighting_report(
        identifier_kind="plaque",
        identifier=str(public_car.plaque_number),
        town="Adenau",
        country="DE",
        seen_on=datetime.date(2025, 6, 1),
        photo=SimpleUploadedFile("s.jpg", jpeg_bytes(), "image/jpeg"),
        reporter_email="rita@example.org",
    )
    transfer = TransferFactory(
        car=public_car, from_member=owner, to_member=MemberFactory(display_name="Bruno Buyer")
    )
    invoice = invoice_issue(member=owner, description="Membership dues", total_cents=6000)
    listing = sale.listing_create(car=public_car, seller=owner, price_cents=100)
    ended_listing = Listing.objects.create(
        car=public_car, seller=owner, state=Listing.State.WITHDRAWN, ended_at=timezone.now()
    )
    unlisted_car = CarFactory(owner=owner)
    enquiry = sale.enquiry_send(
        listing=listing, buyer=MemberFactory(display_name="Bianca Buyer"), body="Still for sale?"
    ).enquiry
    invitation = SaleInvitation.objects.create(
        listing=listing,
        car=unlisted_car,
        seller=owner,
        email="invited@example.org",
        sold_on=datetime.date(2026, 1, 5),
    )
    meet = MeetFactory(
        slug="summer-meet", organisers=[organiser], checkin_helpers=[people["helper"]]
    )
    rsvp = RSVPFactory(meet=meet, member=owner, car=public_car)
    device, _token = gate.device_create(meet=meet, name="Gate A", by=organiser)
    draft = MeetFactory(
        slug="secret-draft",
        status=Meet.Status.DRAFT,
        organisers=[organiser],
        starts_at=meet.starts_at + datetime.timedelta(days=30),
    )
    other_meet = MeetFactory(slug="other-meet", organisers=[other_organiser])
    album_meet = PastMeetFactory(
        slug="album-meet", organisers=[organiser], checkin_helpers=[people["helper"]]
    )
    RSVPFactory(meet=album_meet, member=owner, car=public_car)
    album_photo, pending_album_photo = albums.album_photos_add(
        meet=album_meet,
        member=owner,
        uploads=[SimpleUploadedFile(f"{n}.jpg", jpeg_bytes(), "image/jpeg") for n in "ab"],
    )
    albums.album_photos_decide(
        meet=album_meet, photo_ids=[album_photo.pk], approve=True, by=organiser
    )
    series = series_for(meet, slug="summer-series", helpers=[people["helper"]])
    draft_series = series_for(draft, slug="secret-series")
    full_meet = MeetFactory(slug="full-meet", capacity=1, organisers=[organiser])
    waiting = RSVPFactory(meet=full_meet, member=owner, car=public_car, status="waitlisted")
    offer = Offer.objects.create(rsvp=waiting, expires_at=timezone.now() + datetime.timedelta(1))
    invoice = membership_services.invoice_issue(
        member=owner,
        membership=owner.seat.membership,
        description="Membership dues",
        total_cents=6000,
    )
    payment = membership_services.payment_record(
        invoice=invoice, amount_cents=6000, method="transfer", notify=False
    )
    collection, debit = direct_debit_of(owner, exported_by=people["staff"])
    statement = Statement.objects.create(
        format=Statement.Format.CAMT053, filename="march.xml", sha256="0" * 64
    )
    statement_line = StatementLine.objects.create(
        statement=statement,
        booked_on=datetime.date(2026, 3, 16),
        amount_cents=6000,
        remittance="Beitrag",
        fingerprint="1" * 64,
    )

    card = card_token(owner, owner.seat)
    today = datetime.date.today()
    Car.objects.filter(pk=public_car.pk).update(still_mine_asked_on=today)
    still_mine = still_mine_token(car_id=public_car.pk, member_id=owner.pk, asked_on=today)
    kwargs = {
        NO_ARGS: {},
        "public car": {"pk": public_car.pk},
        "pending car": {"pk": pending_car.pk},
        "public car's colour": {"pk": public_car.pk, "field": "colour"},
        "pending car's colour": {"pk": pending_car.pk, "field": "colour"},
        "public car (api)": {"car_id": public_car.pk},
        "pending car (api)": {"car_id": pending_car.pk},
        "public car's plaque": {"plaque": public_car.plaque_number},
        "a plaque no car has": {"plaque": 999_999},
        "photo": {"pk": photo.pk},
        "photo of pending car": {"pk": pending_photo.pk},
        "claim": {"pk": claim.pk},
        "change request": {"pk": change.pk},
        "timeline entry": {"pk": entry.pk},
        "timeline entry of pending car": {"pk": pending_entry.pk},
        "earlier owner's timeline entry": {"pk": earlier_entry.pk},
        "mileage reading": {"pk": reading.pk},
        "mileage reading of pending car": {"pk": pending_reading.pk},
        "earlier owner's mileage reading": {"pk": earlier_reading.pk},
        "transfer": {"pk": transfer.pk},
        "sighting": {"pk": sighting.pk},
        "listing": {"pk": listing.pk},
        "ended listing": {"pk": ended_listing.pk},
        "unlisted car": {"pk": unlisted_car.pk},
        "enquiry": {"pk": enquiry.pk},
        "sale invitation": {"token": sale.invitation_token(invitation)},
        "tampered sale invitation": {"token": sale.invitation_token(invitation)[:-2] + "xx"},
        "listed member": {"number": owner.membership_number},
        "published meet": {"slug": meet.slug},
        "draft meet": {"slug": draft.slug},
        "other meet": {"slug": other_meet.slug},
        "series": {"slug": series.slug},
        "draft series": {"slug": draft_series.slug},
        "rsvp": {"pk": rsvp.pk},
        "rsvp's code": {"code": rsvp.checkin_code},
        "rsvp at its meet": {"slug": meet.slug, "pk": rsvp.pk},
        "organiser's device": {"slug": meet.slug, "pk": device.pk},
        "album meet": {"slug": album_meet.slug},
        "approved album photo": {"slug": album_meet.slug, "pk": album_photo.pk},
        "pending album photo": {"slug": album_meet.slug, "pk": pending_album_photo.pk},
        "album photo file": {"path": album_photo.image.name},
        "owner's offer": {"pk": offer.pk},
        "collection": {"pk": collection.pk},
        "debit": {"pk": debit.pk},
        "car photo file": {"path": photo.image.name},
        "claim evidence file": {"path": claim.evidence_photo.name},
        "sighting photo file": {"path": sighting.photo.name},
        "claim evidence file via ./": {"path": f"./{claim.evidence_photo.name}"},
        "claim evidence file via ../": {"path": f"avatars/../{claim.evidence_photo.name}"},
        "claim evidence file via //": {"path": f"/{claim.evidence_photo.name}"},
        "a wrong confirmation key": {"key": "not-a-real-key"},
        "a wrong reset key": {"uidb36": "zz", "key": "not-a-real-key"},
        "pending car (admin)": {"object_id": pending_car.pk},
        "claim (admin)": {"object_id": claim.pk},
        "draft meet (admin)": {"object_id": draft.pk},
        "owner's invoice": {"number": invoice.number},
        "owner's payment": {"pk": payment.pk},
        "owner's card": {"token": card},
        "tampered card": {"token": f"{card[:-3]}xyz"},
        "owner's still-mine link": {"token": still_mine},
        "tampered still-mine link": {"token": f"{still_mine[:-3]}xyz"},
        "bank statement": {"pk": statement.pk},
        "statement line": {"pk": statement_line.pk},
        "a year of invoices": {"year": invoice.year},
    }
    return SimpleNamespace(people=people, kwargs=kwargs)


def series_for(meet, *, slug: str, helpers=()):
    """A series with `meet` as its one date, run by the meet's organisers."""
    series = MeetSeries.objects.create(
        title=meet.title,
        slug=slug,
        rule="FREQ=MONTHLY;COUNT=2;BYDAY=+1SU",
        first_date=meet.local_start.date(),
        start_time=meet.local_start.time(),
        duration=meet.ends_at - meet.starts_at,
        venue_name=meet.venue_name,
        capacity=meet.capacity,
    )
    series.organisers.set(meet.organisers.all())
    series.checkin_helpers.set(helpers)
    Meet.objects.filter(pk=meet.pk).update(series=series, occurrence=meet.starts_at)
    return series


def direct_debit_of(member, *, exported_by):
    """An exported collection with one debit of `member`'s invoice (no file behind it)."""
    today = datetime.date.today()
    invoice = invoice_issue(member=member, description="Dues", total_cents=6000)
    mandate = Mandate.objects.create(
        member=member,
        reference="PDK-MATRIX-1",
        account_holder="Olga Owner",
        iban="DE89370400440532013000",
        signed_on=today,
    )
    collection = Collection.objects.create(
        collection_date=today,
        message_id="MATRIX-1",
        xml="<Document/>",
        total_cents=6000,
        created_by=exported_by,
    )
    debit = CollectionItem.objects.create(
        collection=collection,
        invoice=invoice,
        mandate=mandate,
        amount_cents=6000,
        sequence_type="FRST",
        end_to_end_id="PDK-MATRIX-1-1",
    )
    return collection, debit


# --- The tests ---------------------------------------------------------------------------


def test_every_url_has_a_decision():
    undecided = [
        f"decide who may see {name} ({route})"
        for name, route in url_patterns()
        if name not in EXPECTED and group_of(name) is None
    ]
    assert not undecided, "\n".join(undecided)


def test_the_table_names_only_urls_that_exist():
    names = {name for name, _route in url_patterns()}
    sampled = {name for sample in GROUPS.values() for name in sample}
    stale = sorted((set(EXPECTED) | sampled) - names)
    if not settings.PADDOCK_SERVE_MEDIA:
        stale = [name for name in stale if name != "media"]
    assert not stale, f"these names are in the table but not in the URL configuration: {stale}"


def test_every_post_only_url_has_a_post_decision():
    post_only = {name for name, table in EXPECTED.items() if POST_ONLY in table.values()}
    assert post_only == set(EXPECTED_POST)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The cast and their objects, made once for the whole table.

    They live in a transaction around all of this module's tests (each test runs in a
    savepoint inside it, rolled back after the test), and that transaction is rolled
    back at the end: Django's TestCase.setUpTestData, for a module of pytest functions.
    """
    media_root = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(MEDIA_ROOT=media_root):
            made = build_world()
        made.media_root = media_root
        # One session per role, made once: each test sends its cookie instead of logging in
        # (a test's changes to it, a log-out say, roll back with the test's savepoint).
        made.sessions = {}
        for role, person in made.people.items():
            client = Client()
            client.force_login(person)
            made.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        yield made
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "name", "variant", "role"), cells())
def test_each_role_gets_the_expected_answer(method, name, variant, role, world, settings):
    table = table_for(method, name)
    assert table, f"decide who may see {name}: add it to EXPECTED"
    expected = table[variant][role]
    settings.MEDIA_ROOT = world.media_root  # where the world's photo files are
    url = reverse(name, kwargs=world.kwargs[variant])
    client = Client()
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]

    response = client.get(url) if method == "GET" else client.post(url)

    assert response.status_code == expected, (
        f"{method} {url} as {role}: expected {expected}, got {response.status_code}"
        + (f" → {response['Location']}" if response.status_code == 302 else "")
    )
    if role == "anonymous" and expected == 302 and name not in ANONYMOUS_SENT_ELSEWHERE:
        login = reverse("admin:login") if name.startswith("admin:") else reverse("account_login")
        assert response["Location"].startswith(login), response["Location"]


# Anonymous visitors who get 302 from these are sent somewhere else than the login page.
ANONYMOUS_SENT_ELSEWHERE = {
    "account_logout",
    "account_set_password",
    "account_confirm_login_code",
    "favicon",
}
