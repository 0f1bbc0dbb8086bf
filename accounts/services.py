"""Writes that touch several rows or have side effects: membership and personal data."""

import json
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from accounts.models import Sequence, User
from accounts.outbox import outgoing_mail_forget
from config.lib.email import send_templated


def sequence_next(*, name: str) -> int:
    """The next number of the named sequence; never hands out the same number twice.

    One statement: the row is made at 1 or moved on by one, under its row lock until the
    caller's transaction ends, so numbers are handed out in commit order without gaps (a
    rolled-back transaction takes its number back). SQLite (3.35+) and PostgreSQL both
    speak INSERT … ON CONFLICT … RETURNING.
    """
    table = connection.ops.quote_name(Sequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, last_value) VALUES (%s, 1) ON CONFLICT (name) "  # noqa: S608  # nosec B608
            f"DO UPDATE SET last_value = {table}.last_value + 1 RETURNING last_value",
            [name],
        )
        return cursor.fetchone()[0]


def member_approve(*, member: User, approved_by: User | None = None, notify: bool = True) -> User:
    """Make a pending (or lapsed) member active; give a number once, for good."""
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=member.pk)
        if member.membership_status == User.Status.ACTIVE:
            return member
        today = timezone.localdate()
        first_time = member.membership_number is None
        if first_time:
            member.membership_number = sequence_next(name="membership-number")
            member.member_since = today
        member.membership_status = User.Status.ACTIVE
        member.save(update_fields=["membership_number", "member_since", "membership_status"])
        # Other apps act on an approval through a `member_approved` method on their
        # AppConfig: the club's office starts the membership (its level, its renewal date)
        # and issues its first invoice.
        for config in apps.get_app_configs():
            hook = getattr(config, "member_approved", None)
            if callable(hook):
                hook(member, first_time=first_time)
        if notify:
            _send_welcome(member, first_time=first_time)
    return member


def _send_welcome(member: User, *, first_time: bool) -> None:
    # The subject is translated in the member's language by send_templated, not the
    # language of whoever approved them.
    if first_time:
        subject = format_lazy(
            gettext_lazy("Welcome to the {club_name}"), club_name=settings.PADDOCK_CLUB_NAME
        )
    else:
        subject = gettext_lazy("Your membership is active again")
    send_templated(
        to=[member.email],
        subject=subject,
        template="accounts/email/approved.txt",
        context={"member": member, "first_time": first_time},
        language=member.language,
    )


def member_set_status(*, member: User, status: str) -> User:
    """Lapse or resign a member (approval goes through `member_approve`)."""
    if status == User.Status.ACTIVE:
        return member_approve(member=member)
    if status == User.Status.PENDING and member.membership_number is not None:
        raise ValueError("A member who was approved cannot go back to pending.")
    member.membership_status = status
    member.save(update_fields=["membership_status"])
    return member


def member_export_data(*, member: User) -> dict[str, Any]:
    """Everything the site holds about a member, as JSON-ready data.

    Each app may add its part through a `personal_data(member)` method on its AppConfig,
    so accounts never has to know about cars or meets.
    """
    data: dict[str, Any] = {
        "exported_at": timezone.now(),
        "account": {
            "email": member.email,
            "display_name": member.display_name,
            "country": str(member.country.code or ""),
            "city": member.city,
            "bio": member.bio,
            "avatar": member.avatar.url if member.avatar else None,
            "name_visibility": member.name_visibility,
            "directory_listed": member.directory_listed,
            "show_location": member.show_location,
            "date_joined": member.date_joined,
            "last_login": member.last_login,
        },
        "membership": {
            "number": member.membership_number,
            "status": member.membership_status,
            "member_since": member.member_since,
            "renewal_date": member.renewal_date,
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=member).order_by("email")
        ],
    }
    for config in apps.get_app_configs():
        hook = getattr(config, "personal_data", None)
        if callable(hook):
            part = hook(member)
            if isinstance(data.get(config.label), dict):
                # The club office (label "membership") adds to the membership part.
                data[config.label].update(part)
            else:
                data[config.label] = part
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def member_delete(*, member: User) -> None:
    """Delete a member's account: anonymise the row so the club's records stay whole.

    The row stays (its membership number is never reused, and cars' histories keep
    pointing at it) but holds no personal data: no name, no e-mail, no avatar, no
    password, no sessions. Each app may scrub its own data through an
    `anonymise_member(member)` method on its AppConfig.
    """
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=member.pk)
        for config in apps.get_app_configs():
            hook = getattr(config, "anonymise_member", None)
            if callable(hook):
                hook(member)
        avatar_name = member.avatar.name if member.avatar else ""
        # The e-mails to them, sent or waiting, hold their address and often their name.
        outgoing_mail_forget(
            addresses=[
                member.email,
                *EmailAddress.objects.filter(user=member).values_list("email", flat=True),
            ]
        )
        EmailAddress.objects.filter(user=member).delete()
        member.email = f"deleted-{member.pk}@invalid"
        member.display_name = ""
        member.country = ""
        member.city = ""
        member.bio = ""
        member.avatar = ""
        member.name_visibility = User.Visibility.NOBODY
        member.directory_listed = False
        member.show_location = False
        member.is_active = False
        member.is_staff = False
        member.is_superuser = False
        if member.membership_number is not None:
            member.membership_status = User.Status.RESIGNED
        member.set_unusable_password()
        # The audit trail keeps who changed what; the member's own old details go with them.
        User.history.filter(id=member.pk).delete()
        member.save()
        member.groups.clear()
        member.user_permissions.clear()
        _delete_sessions_of(member)
        if avatar_name:
            storage = User._meta.get_field("avatar").storage
            transaction.on_commit(lambda: storage.delete(avatar_name))


def _delete_sessions_of(member: User) -> None:
    doomed = [
        s.pk
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if s.get_decoded().get("_auth_user_id") == str(member.pk)
    ]
    Session.objects.filter(pk__in=doomed).delete()
