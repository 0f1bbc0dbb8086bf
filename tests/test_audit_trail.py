"""Audit trail: who changed a car, an ownership, a membership or an RSVP, and when."""

import pytest
from django.apps import apps
from django.core.mail import send_mail
from django.db import models
from django.urls import reverse

from accounts.models import User
from accounts.services import member_approve, member_delete
from meets.models import RSVP
from meets.services import rsvp_cancel
from register.models import Car, Ownership
from register.services import claim_create
from tests.factories import PendingMemberFactory
from tests.meets.factories import RSVPFactory
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db


def test_a_car_changed_in_the_admin_records_who_changed_it(client, staff):
    car = CarFactory(status=Car.Status.ON_THE_ROAD)
    client.force_login(staff)
    data = {
        "vin": car.vin,
        "model_line": car.model_line_id,
        "colour": car.colour_id,
        "build_date": "2011-06-01",
        "market": "DE",
        "country": "DE",
        "transmission": car.transmission,
        "steering": car.steering,
        "options": "",
        "status": Car.Status.STORED,
        "story": "",
        "vin_visibility": car.vin_visibility,
        "plate_visibility": car.plate_visibility,
        "review_status": car.review_status,
        "rejection_reason": "",
    }
    for prefix in ("ownerships", "photos", "timeline", "mileage_readings"):
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}

    response = client.post(reverse("admin:register_car_change", args=[car.pk]), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    latest = car.history.first()
    assert latest.status == Car.Status.STORED
    assert latest.history_user == staff
    assert latest.history_type == "~"
    page = client.get(reverse("admin:register_car_history", args=[car.pk]))
    assert page.status_code == 200
    assert staff.email in page.content.decode() or str(staff) in page.content.decode()


def test_membership_ownership_and_rsvp_changes_are_all_recorded(member, other_member):
    applicant = PendingMemberFactory()
    member_approve(member=applicant, notify=False)
    rsvp = RSVPFactory(member=member)
    rsvp_cancel(rsvp=rsvp, member=member)
    car = CarFactory(owner=member)

    statuses = list(applicant.history.values_list("membership_status", flat=True))
    assert statuses[0] == User.Status.ACTIVE and User.Status.PENDING in statuses
    assert list(rsvp.history.values_list("status", flat=True))[:2] == [
        RSVP.Status.CANCELLED,
        RSVP.Status.GOING,
    ]
    assert Ownership.history.filter(car_id=car.pk, member_id=member.pk).exists()


def test_non_staff_cannot_read_the_history(client, member):
    car = CarFactory(owner=member)
    client.force_login(member)

    response = client.get(reverse("admin:register_car_history", args=[car.pk]))

    assert response.status_code == 302  # to the admin's log-in


def _every_text_value():
    """Every text-like value in every table, history tables included."""
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            for value in row:
                if value:
                    yield model._meta.label, str(value)


def test_a_deleted_account_leaves_no_personal_data_in_any_table(
    member, django_capture_on_commit_callbacks
):
    member.display_name = "Quirinus Zaunkönig"
    member.city = "Hinterzarten-Nord"
    member.bio = "Collects Zaunkönig memorabilia."
    member.save()
    car = CarFactory(owner=member)
    rsvp = RSVPFactory(member=member, answers={"Dietary needs": "Zaunkönig-Diät"})
    rsvp.guests = 1
    rsvp.save()
    claim_create(car=CarFactory(), member=member, evidence="Bought from Zaunkönig senior")
    email = member.email
    # E-mails to them: one delivered, one still waiting in the outbox.
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("Your RSVP", "Dear Quirinus Zaunkönig", None, [email])
    send_mail("Tomorrow", "See you, Quirinus Zaunkönig", None, [email.upper()])
    markers = [email, "Zaunkönig", "Hinterzarten-Nord"]
    assert any(m in value for _, value in _every_text_value() for m in markers)

    with django_capture_on_commit_callbacks(execute=True):
        member_delete(member=member)

    leftovers = [
        (label, value)
        for label, value in _every_text_value()
        if any(marker in value for marker in markers)
    ]
    assert leftovers == []
    assert Ownership.objects.filter(car=car).exists()  # the car's history stays
