"""The staff inbox: what waits for staff, counted from every app; the navigation bar's
count, the admin index, and the daily digest e-mail."""

import datetime
import io
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutgoingMail, User
from membership import inbox
from membership.models import (
    Collection,
    CollectionItem,
    Invoice,
    Mandate,
    Statement,
    StatementLine,
)
from register.models import Car, CarChangeRequest, Sighting, Transfer
from tests.factories import MemberFactory, PendingMemberFactory
from tests.membership.test_office import (
    full_level,
    member_due,
    member_in_grace,
    pay,
    text_of,
)
from tests.register.factories import CarFactory, ClaimFactory, TransferFactory

INBOX = "/office/"
COUNTING = "SELECT (SELECT COUNT(*)"  # the inbox's one query (membership/inbox.py)


@pytest.fixture(autouse=True)
def _free_default_level(db):
    full_level()


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def returned_debit(invoice: Invoice, n: int) -> CollectionItem:
    mandate = Mandate.objects.create(
        member=invoice.member,
        reference=f"MANDATE-{n}",
        account_holder="Anna Able",
        iban="DE89370400440532013000",
        signed_on=datetime.date(2026, 1, 2),
    )
    collection = Collection.objects.create(
        collection_date=datetime.date(2026, 2, 1),
        message_id=f"MSG-{n}",
        xml="<xml/>",
        total_cents=invoice.total_cents,
    )
    return CollectionItem.objects.create(
        collection=collection,
        invoice=invoice,
        mandate=mandate,
        amount_cents=invoice.total_cents,
        sequence_type="FRST",
        end_to_end_id=f"E2E-{n}",
        status=CollectionItem.Status.RETURNED,
        returned_on=datetime.date(2026, 2, 5),
    )


def statement_line(status: str, n: int) -> StatementLine:
    statement, _ = Statement.objects.get_or_create(
        sha256="a" * 64, defaults={"format": "camt053", "filename": "march.xml"}
    )
    return StatementLine.objects.create(
        statement=statement,
        booked_on=datetime.date(2026, 3, 1),
        amount_cents=6000,
        counterparty_name="Anna Able",
        fingerprint=f"line-{n}",
        status=status,
    )


def everything_waiting(times: int = 1) -> dict[str, int]:
    """`times` of each thing that waits for staff, beside things that do not; the counts."""
    for n in range(times):
        PendingMemberFactory()  # e-mail confirmed: to approve
        unverified = User.objects.create_user(email=f"unverified{n}@example.org")
        EmailAddress.objects.create(user=unverified, email=unverified.email, verified=False)
        OutgoingMail.objects.create(to=["a@example.org"], status=OutgoingMail.Status.FAILED)
        OutgoingMail.objects.create(to=["b@example.org"], status=OutgoingMail.Status.SENT)
        owner = MemberFactory()
        CarFactory(pending=True, owner=owner)
        car = CarFactory(owner=owner)
        ClaimFactory(car=car)
        CarChangeRequest.objects.create(car=car, proposed_by=owner, changes={"market": "GB"})
        Car.objects.filter(pk=CarFactory().pk).update(disputed_fields="colour")  # sources differ
        stuck = TransferFactory(car=car, from_member=owner)
        Transfer.objects.filter(pk=stuck.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=15)
        )
        TransferFactory(car=CarFactory(owner=owner), from_member=owner)  # fresh: not stuck
        statement_line(StatementLine.Status.UNMATCHED, 2 * n)
        statement_line(StatementLine.Status.MATCHED, 2 * n + 1)
        _m, still_open = member_in_grace(f"Greta Grace {n}")
        returned_debit(still_open, 2 * n)
        _m, paid_since = member_due(f"Paula Paid {n}")
        returned_debit(paid_since, 2 * n + 1)
        pay(paid_since)  # returned, then paid another way: nothing to do
        member_due(f"Dora Due {n}")
        seen = {"town": "Spa", "country": "BE", "seen_on": datetime.date(2025, 6, 1)}
        Sighting.objects.create(car=car, identifier="1", identifier_kind="plaque", **seen)
        Sighting.objects.create(identifier="X", identifier_kind="plate", state="lead", **seen)
        Sighting.objects.create(  # decided: nothing to do
            car=car, identifier="1", identifier_kind="plaque", state="accepted", **seen
        )
    return {
        "members_to_approve": times,
        "failed_emails": times,
        "cars_to_verify": times,
        "claims": times,
        "proposed_changes": times,
        "facts_disputed": times,
        "transfers_stuck": times,
        "unmatched_payments": times,
        "returned_debits": times,
        "members_in_grace": times,
        "members_due": times,
        "sightings": times,
        "sighting_leads": times,
    }


def work(expected: dict[str, int]) -> int:
    """The total of what everything_waiting made: every kind of work, not members merely due."""
    return sum(count for key, count in expected.items() if key != "members_due")


def counts_of(items) -> dict[str, int | None]:
    return {item.key: item.count for item in items}


# --- What is counted ---------------------------------------------------------------------


def test_it_counts_each_thing_that_waits_and_nothing_else():
    expected = everything_waiting()

    counts = counts_of(inbox.inbox_items())

    assert counts == {**expected, "import": None}


def test_the_total_leaves_out_links_and_members_merely_due():
    expected = everything_waiting(times=2)

    items = inbox.inbox_items()

    # Every kind of work, two of each; the two members due and the import link not.
    assert inbox.inbox_total(items) == work(expected) == 2 * (len(expected) - 1)


def test_each_item_links_to_its_queue():
    urls = {item.key: item.url for item in inbox.inbox_items()}

    assert urls["members_to_approve"] == "/admin/accounts/user/?membership_status__exact=pending"
    assert urls["failed_emails"] == "/admin/accounts/outgoingmail/?status__exact=failed"
    assert urls["cars_to_verify"] == "/register/review/#cars"
    assert urls["claims"] == "/register/review/#claims"
    assert urls["proposed_changes"] == "/register/review/#changes"
    assert urls["transfers_stuck"] == "/admin/register/transfer/?state__exact=pending"
    assert urls["import"] == reverse("register:import")
    assert urls["members_in_grace"] == "/office/members/?state=grace"
    assert urls["members_due"] == "/office/members/?state=due"


def test_a_page_another_part_has_not_built_yet_is_no_link_and_no_error(staff_client):
    assert inbox.url_or_none("office:no-such-page") is None
    assert inbox.first_url(("office:no-such-page", ""), ("office:inbox", "x=1")) == "/office/?x=1"
    statement_line(StatementLine.Status.UNMATCHED, 1)
    item = next(i for i in inbox.inbox_items() if i.key == "unmatched_payments")

    response = staff_client.get(INBOX)

    assert response.status_code == 200
    assert item.url in (
        None,
        *[inbox.url_or_none(n) for n in ("office:unmatched", "office:statements")],
    )
    assert "Unmatched payments" in text_of(response)


@pytest.mark.parametrize("times", [1, 5])
def test_the_whole_inbox_is_one_query_however_much_waits(times, django_assert_num_queries):
    expected = everything_waiting(times)

    # 1. every count, each a subquery of one SELECT
    with django_assert_num_queries(1):
        items = inbox.inbox_items()

    assert inbox.inbox_total(items) == work(expected)


# --- The inbox page ----------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_log_in(client):
    response = client.get(INBOX)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["member", "pending_member", "organiser"])
def test_it_refuses_everyone_but_staff(client, who, request):
    client.force_login(request.getfixturevalue(who))

    assert client.get(INBOX).status_code == 403


def test_staff_see_every_item_with_its_count_link_and_help(staff_client):
    total = work(everything_waiting())

    response = staff_client.get(INBOX)
    html = response.content.decode()
    text = text_of(response)

    assert response.status_code == 200
    assert f"{total} things wait for staff." in text
    for label in (
        "Members to approve",
        "Failed e-mails",
        "Cars to verify",
        "Claims",
        "Proposed changes",
        "Transfers stuck",
        "Returned direct debits",
        "Members in grace",
        "Members due",
        "Import a spreadsheet",
    ):
        assert label in text
    assert re.search(r'data-inbox-item="claims".*?data-count="1"', html, re.S)
    assert 'href="/register/review/#cars"' in html
    assert f'href="{reverse("register:import")}"' in html
    assert "with evidence" in text  # the claims' help


def test_the_inbox_page_takes_the_same_queries_however_much_waits(
    staff_client, django_assert_num_queries
):
    total = work(everything_waiting(times=3))

    # 1. the session, 2. the logged-in user, 3. every count (the navigation bar's total
    # is the page's own, not counted again)
    with django_assert_num_queries(3):
        response = staff_client.get(INBOX)

    assert f"data-office-total>{total}<" in response.content.decode()


def test_nothing_waiting_says_so(staff_client):
    assert "Nothing waits for staff. Well done." in text_of(staff_client.get(INBOX))


# --- The digest switch ---------------------------------------------------------------------


def test_staff_switch_the_daily_digest_on_and_off(staff_client, staff):
    on = staff_client.post(reverse("office:digest"), {"staff_digest": "on"})
    staff.refresh_from_db()
    assert on.status_code == 302 and staff.staff_digest
    assert "Stop the daily digest" in text_of(staff_client.get(INBOX))

    staff_client.post(reverse("office:digest"), {"staff_digest": ""})
    staff.refresh_from_db()
    assert not staff.staff_digest


def test_the_switch_sent_twice_stays_as_chosen(staff_client, staff):
    staff_client.post(reverse("office:digest"), {"staff_digest": "on"})
    staff_client.post(reverse("office:digest"), {"staff_digest": "on"})

    staff.refresh_from_db()
    assert staff.staff_digest


def test_members_cannot_switch_the_digest(client, member):
    client.force_login(member)

    response = client.post(reverse("office:digest"), {"staff_digest": "on"})

    assert response.status_code == 403
    member.refresh_from_db()
    assert not member.staff_digest


# --- The navigation bar and the admin index ----------------------------------------------------


def test_staff_see_the_total_in_the_navigation_bar(staff_client):
    total = work(everything_waiting())

    response = staff_client.get(reverse("home"))

    assert f'href="{INBOX}"' in response.content.decode()
    # The number shows; "items waiting" is read out to screen readers.
    assert f"data-office-total>{total}<" in response.content.decode()
    assert f"Office {total} items waiting" in text_of(response)


@pytest.mark.parametrize("who", ["member", "organiser", "pending_member", None])
def test_nobody_but_staff_sees_the_office_or_its_count(client, who, request):
    everything_waiting()
    if who:
        client.force_login(request.getfixturevalue(who))

    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("home")).content.decode()

    assert "data-office-total" not in html
    assert "items waiting" not in html
    assert f'href="{INBOX}"' not in html
    assert not any(COUNTING in q["sql"] for q in queries.captured_queries)


def test_nothing_waiting_shows_no_badge(staff_client):
    html = staff_client.get(reverse("home")).content.decode()

    assert f'href="{INBOX}"' in html
    assert "data-office-total" not in html


def test_the_total_is_counted_once_a_minute_for_all_staff(staff_client):
    total = work(everything_waiting())
    pages = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            pages.append(staff_client.get(reverse("home")).content.decode())
        pages.append([q["sql"] for q in queries.captured_queries if COUNTING in q["sql"]])
    CarFactory(pending=True)
    cached = staff_client.get(reverse("home")).content.decode()
    inbox.forget_total()  # what a minute does
    fresh = staff_client.get(reverse("home")).content.decode()

    assert len(pages[1]) == 1 and pages[3] == []  # counted on the first page only
    assert f"data-office-total>{total}<" in cached
    assert f"data-office-total>{total + 1}<" in fresh


def test_a_cache_that_is_down_costs_a_query_not_the_page(staff_client, monkeypatch):
    total = work(everything_waiting())

    class DownCache:
        def get(self, *args, **kwargs):
            raise ConnectionError("the cache is down")

        set = delete = get

    monkeypatch.setattr(inbox, "cache", DownCache())

    response = staff_client.get(reverse("home"))

    assert response.status_code == 200
    assert f"data-office-total>{total}<" in response.content.decode()


def test_the_admin_index_shows_the_same_items_and_counts(staff_client):
    everything_waiting()

    response = staff_client.get(reverse("admin:index"))
    html = response.content.decode()

    assert response.status_code == 200
    assert "Staff inbox" in html
    assert re.search(
        r'data-inbox-item="cars_to_verify">\s*<th scope="row"><a href="/register/review/#cars">'
        r"Cars to verify</a></th>\s*<td><strong>1</strong></td>",
        html,
    )
    assert re.search(r'data-inbox-item="members_due">.*?<td>1</td>', html, re.S)
    assert 'id="content-main"' in html and "Club office" in html  # the apps are still there


# --- The daily digest --------------------------------------------------------------------------


def send_digest(captured, today=None) -> int:
    with captured(execute=True):
        return inbox.staff_digest_send(today=today)


@pytest.fixture
def digest_staff(db):
    return MemberFactory(
        display_name="Dieter Digest", is_staff=True, staff_digest=True, language="en-gb"
    )


def test_the_digest_goes_only_to_active_staff_who_asked(
    digest_staff, staff, django_capture_on_commit_callbacks
):
    MemberFactory(staff_digest=True)  # not staff
    MemberFactory(is_staff=True, staff_digest=True, is_active=False)  # left the club
    total = work(everything_waiting())
    mail.outbox.clear()

    sent = send_digest(django_capture_on_commit_callbacks)

    assert sent == 1
    assert [m.to for m in mail.outbox] == [[digest_staff.email]]
    message = mail.outbox[0]
    assert message.subject == f"{total} items wait in the staff inbox"
    assert "Cars to verify: 1\n  https://testserver/register/review/#cars" in message.body
    assert "Members due: 1\n  https://testserver/office/members/?state=due" in message.body
    assert "Import a spreadsheet" not in message.body
    assert "https://testserver/office/" in message.body


def test_no_digest_when_nothing_waits(digest_staff, django_capture_on_commit_callbacks):
    member_due()  # normal business, not work
    mail.outbox.clear()

    assert send_digest(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_the_digest_goes_once_a_day(digest_staff, django_capture_on_commit_callbacks):
    everything_waiting()
    today = timezone.localdate()
    mail.outbox.clear()

    first = send_digest(django_capture_on_commit_callbacks, today)
    again = send_digest(django_capture_on_commit_callbacks, today)
    tomorrow = send_digest(django_capture_on_commit_callbacks, today + datetime.timedelta(days=1))

    assert (first, again, tomorrow) == (1, 0, 1)
    assert len(mail.outbox) == 2


def test_the_digest_is_in_each_staff_members_language(
    digest_staff, django_capture_on_commit_callbacks
):
    german = MemberFactory(is_staff=True, staff_digest=True, language="de")
    everything_waiting()
    mail.outbox.clear()

    send_digest(django_capture_on_commit_callbacks)

    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert bodies[german.email].startswith("Hallo,")
    assert "Ansprüche: 1" in bodies[german.email]
    assert bodies[digest_staff.email].startswith("Hello,")
    assert "Claims: 1" in bodies[digest_staff.email]


def test_the_digest_command_runs_for_cron(digest_staff, django_capture_on_commit_callbacks):
    everything_waiting()
    mail.outbox.clear()
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_staff_digest", stdout=out)
        call_command("send_staff_digest", stdout=out)

    assert out.getvalue() == "1 staff digest(s) queued.\n0 staff digest(s) queued.\n"
    assert len(mail.outbox) == 1
