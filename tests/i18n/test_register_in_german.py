"""The register in German: its pages, forms, statistics, messages and e-mails.

A member whose profile says German sees the register in German; a visitor with the
language cookie does too. E-mails go out in the recipient's language, whatever the
language of the request that sent them.
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from register import importer
from register.models import Car, Colour, Transfer
from register.stats import register_stats
from tests.i18n.support import german_client, speaks
from tests.register.factories import (
    CarFactory,
    ClaimFactory,
    ColourFactory,
    MileageReadingFactory,
    ModelLineFactory,
    ProductionFigureFactory,
    TimelineEntryFactory,
    TransferFactory,
)

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def german_member(member):
    return speaks(member, "de")


# --- Pages ----------------------------------------------------------------------------


def test_a_member_who_chose_german_sees_their_garage_in_german(german_member):
    car = CarFactory(owner=german_member, pending=True)
    client = Client()  # no cookie: the member's profile decides
    client.force_login(german_member)

    html = client.get(reverse("register:garage")).content.decode()

    assert '<html lang="de"' in html
    assert "<title>Meine Garage" in html
    assert '<h1 class="h2 mb-0">Meine Garage</h1>' in html
    assert ">Fahrzeug eintragen</a>" in html
    assert ">Fahrzeug beanspruchen</a>" in html
    assert ">Meine Fahrzeuge</h2>" in html
    assert str(car.model_line) in html
    assert "Wartet auf das Team" in html  # the car's badge
    assert "My cars" not in html


def test_the_register_list_and_its_filters_are_in_german():
    CarFactory.create_batch(2)

    html = german_client().get(reverse("register:list")).content.decode()

    assert "<title>Das Register" in html
    # The lead's catalogue gives these two (the claim is made of verified cars alone).
    assert "2 Fahrzeuge gefunden." in html
    assert "Ein vom Registerführer geprüftes Fahrzeug ist mit „✓ Verifiziert“ markiert." in html
    for label in ["Modell", "Baujahr", "Fahrzeugstatus", "Verifizierung", "Sortieren nach"]:
        assert f">{label}</label>" in html
    assert "Alle Modelle" in html
    assert "Baudatum, neueste zuerst" in html
    assert "Auf der Straße" in html  # a life status in the menu
    assert ">Fahrzeuge anzeigen</button>" in html
    assert "✓ Verifiziert" in html
    assert "Show cars" not in html


def test_a_cars_page_shows_german_words_dates_and_numbers(german_member):
    blue = ColourFactory(
        name="Monte Carlo Blue", paint_code="X04", kind=Colour.Kind.SPECIAL, reported_production=2
    )
    car = CarFactory(owner=german_member, colour=blue, build_date=datetime.date(2011, 6, 1))
    CarFactory()
    TimelineEntryFactory(car=car, happened_on=datetime.date(2019, 5, 4), title="Inspektion")
    MileageReadingFactory(car=car, read_on=datetime.date(2020, 3, 1), kilometres=123456)

    html = german_client(german_member).get(car.get_absolute_url()).content.decode()

    assert f"Nr. {car.plaque_number}" in html
    assert "✓ Vom Registerführer verifiziert" in html
    assert ">Fahrzeugdaten ab Werk</h2>" in html
    assert "Juni 2011" in html  # the build month
    assert "4. Mai 2019" in html  # a timeline entry
    assert "1. Mär 2020" in html  # a mileage reading
    assert "123.456" in html  # German thousands separator
    assert "Schaltgetriebe" in html
    assert "Linkslenker" in html
    assert "Das einzige Fahrzeug in Monte Carlo Blue im Register" in html
    assert "50,0% der 2 Fahrzeuge der Baureihe" in html
    assert "Sonderlackierung" in html
    assert ">Foto hinzufügen</a>" in html
    assert "Factory specification" not in html


def test_the_statistics_and_their_charts_are_in_german():
    line = CarFactory(build_date=datetime.date(2011, 6, 1)).model_line
    CarFactory(build_date=None, country="")
    ProductionFigureFactory(model_line=line, count=6309, is_primary=True)

    html = german_client().get(reverse("register:stats")).content.decode()

    assert "<title>Registerstatistik" in html
    assert "2 Fahrzeuge im Register, davon 2 vom Registerführer verifiziert." in html
    assert "6.309" in html
    for title in [
        "Registrierte Fahrzeuge nach Baujahr",
        "Registrierte Fahrzeuge nach Baumonat",
        "Registrierte Fahrzeuge nach Fahrzeugstatus",
        "Wo die registrierten Fahrzeuge zu Hause sind",
        "Vom Registerführer verifiziert",
        f"{line.name}: registrierte Fahrzeuge nach Farbe",
    ]:
        assert title in html
    assert '<th scope="col" class="text-end">Fahrzeuge</th>' in html
    assert '<th scope="col" class="text-end">Anteil</th>' in html
    # The build months: a row a year, a column a month, named in German.
    assert '<th scope="col">Dez</th>' in html
    assert '<th scope="row" class="text-start">2011</th>' in html
    assert "50,0%" in html
    assert "1 registriertes Fahrzeug ohne erfasstes Baudatum." in html
    assert "Registered cars" not in html


def test_the_statistics_charts_follow_the_active_language():
    CarFactory(build_date=datetime.date(2011, 6, 1))

    with translation.override("de"):
        german = register_stats().charts
        # Some labels are translated when shown: in the language of the page showing them.
        heading = str(german["years"].value_heading)
        statuses = [str(bar.label) for bar in german["status"].bars][:2]
    with translation.override("en-gb"):
        english = register_stats().charts

    assert german["years"].title == "Registrierte Fahrzeuge nach Baujahr"
    assert heading == "Fahrzeuge"
    assert [bar.label for bar in german["months"].bars] == ["Juni 2011"]
    assert statuses == [
        "Auf der Straße",
        "Eingelagert",
    ]
    assert english["years"].title == "Registered cars by build year"
    assert [bar.label for bar in english["months"].bars] == ["June 2011"]


def test_the_review_queue_is_in_german_for_german_staff(staff, member):
    speaks(staff, "de")
    CarFactory(pending=True, owner=member)

    html = german_client(staff).get(reverse("register:review")).content.decode()

    assert "<title>Prüfliste" in html
    assert "Neue Fahrzeuge" in html
    assert ">Genehmigen</button>" in html
    assert ">Ablehnen</button>" in html
    assert "Begründung, wird an das Mitglied geschickt" in html


# --- Forms and messages -----------------------------------------------------------------


def test_registering_a_car_with_a_wrong_vin_says_why_in_german(german_member, settings):
    response = german_client(german_member).post(
        reverse("register:add"), {"vin": "WBSUR9C50BIOQ", "build_date": "2099-01"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "FIN (VIN)" in html  # the first mention of the VIN in the form
    assert "Eine FIN hat genau 17 Zeichen; diese hat 13." in html
    assert "Der Baumonat darf nicht in der Zukunft liegen." in html
    assert "Das Fahrzeug</legend>" in html
    assert ">Mein Fahrzeug eintragen</button>" in html


def test_a_transfer_to_oneself_is_refused_in_german(german_member):
    car = CarFactory(owner=german_member)

    response = german_client(german_member).post(
        reverse("register:transfer", args=[car.pk]),
        {"buyer": german_member.email, "transfer_date": "2024-05-01"},
    )

    assert "Sie können ein Fahrzeug nicht an sich selbst übertragen." in response.content.decode()


def test_a_mileage_reading_is_confirmed_in_german_with_a_german_number(german_member):
    car = CarFactory(owner=german_member)

    response = german_client(german_member).post(
        reverse("register:mileage_add", args=[car.pk]),
        {"read_on": "2024-05-01", "distance": "12345", "unit": "km"},
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Kilometerstand erfasst: 12.345 km."]


def test_the_import_reports_its_rows_in_german(staff):
    speaks(staff, "de")
    model_line = ModelLineFactory()
    upload = SimpleUploadedFile(
        "cars.csv",
        b"vin,model_line,transmission,verified\n"
        b"WBSUR9C50BA000001,Nope,xx,maybe\n"
        + f"WBSUR9C50BA000002,{model_line.name},Schaltgetriebe,yes\n".encode(),
        content_type="text/csv",
    )

    response = german_client(staff).post(
        reverse("register:import"), {"file": upload, "check_only": "on"}
    )

    html = response.content.decode()
    assert "bis 5 MB und 20.000 Zeilen" in html
    assert "<strong>2</strong> Zeilen gelesen." in html
    assert "Unbekannte Baureihe „Nope“." in html
    assert "Unbekanntes Getriebe „xx“ (erlaubt sind: manual, automatic, dct, unknown)." in html
    assert "In der Spalte verified muss yes oder no stehen, nicht „maybe“." in html
    # The second row names its transmission by its German label: it is valid.
    assert "<strong>1</strong> gültige Zeile: nichts importiert." in html
    assert "<strong>1</strong> abgelehnte Zeile." in html


def test_the_importer_still_reads_english_labels_in_a_german_request():
    line = ModelLineFactory()
    data = (
        "vin,model_line,transmission,steering\n"
        f"WBSUR9C50BA000003,{line.name},Manual,Right-hand drive\n"
    )
    with translation.override("de"):
        report = importer.check_file(data.encode())

    assert report.rejected == []
    assert report.valid[0].transmission == Car.Transmission.MANUAL
    assert report.valid[0].steering == Car.Steering.RIGHT


# --- E-mails in the recipient's language ---------------------------------------------------


def test_a_german_owner_gets_the_verification_in_german_from_english_staff(
    staff, german_member, django_capture_on_commit_callbacks
):
    car = CarFactory(pending=True, owner=german_member)
    client = Client()  # staff's own language: English
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("register:review_car", args=[car.pk]), {"decision": "approve"}
        )

    car.refresh_from_db()
    [message] = mail.outbox
    assert messages_of(response) == [f"Verified {car}: plaque No. {car.plaque_number}."]
    assert message.to == [german_member.email]
    assert message.subject == f"Ihr Fahrzeug ist verifiziert: Plakette Nr. {car.plaque_number}"
    assert message.body.startswith("Hallo Olga Owner,")
    assert "Gute Nachrichten vom" in message.body
    assert f"mit der Plakette Nr. {car.plaque_number} im Register" in message.body
    assert "Good news" not in message.body


def test_an_english_owner_stays_english_when_german_staff_reject_the_car(
    staff, member, django_capture_on_commit_callbacks
):
    speaks(staff, "de")
    speaks(member, "en-gb")
    car = CarFactory(pending=True, owner=member)

    with django_capture_on_commit_callbacks(execute=True):
        response = german_client(staff).post(
            reverse("register:review_car", args=[car.pk]),
            {"decision": "reject", "reason": "Die FIN gehört zu einem 135i."},
        )

    [message] = mail.outbox
    assert messages_of(response) == [f"{car} abgelehnt; der Besitzer hat die Begründung erhalten."]
    assert message.subject == "Your car registration was not accepted"
    assert message.body.startswith("Hello Olga Owner,")
    assert "could not accept your registration" in message.body
    assert "The registrar's reason:" in message.body
    assert "Registerführer" not in message.body


def test_a_german_claimant_hears_in_german_that_their_claim_was_approved(
    staff, member, other_member, django_capture_on_commit_callbacks
):
    speaks(other_member, "de")
    claim = ClaimFactory(car=CarFactory(owner=member), claimant=other_member)
    client = Client()
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("register:review_claim", args=[claim.pk]), {"decision": "approve"})

    # The displaced owner is told too, in their own language (not German here).
    [message] = [m for m in mail.outbox if m.to == [other_member.email]]
    assert [m.to for m in mail.outbox] == [[other_member.email], [member.email]]
    assert message.subject == "Ihr Anspruch wurde genehmigt"
    assert "hat Ihren Anspruch genehmigt" in message.body
    assert "steht jetzt in Ihrer Garage" in message.body


def test_the_transfer_e_mails_follow_each_recipients_language(
    member, other_member, django_capture_on_commit_callbacks
):
    seller = speaks(member, "de")
    buyer = speaks(other_member, "en-gb")
    car = CarFactory(owner=seller)

    # The German seller starts the transfer: the English buyer is told in English.
    with django_capture_on_commit_callbacks(execute=True):
        german_client(seller).post(
            reverse("register:transfer", args=[car.pk]),
            {"buyer": buyer.email, "transfer_date": "2024-05-01"},
        )
    [started] = mail.outbox
    assert started.to == [buyer.email]
    assert started.subject == "A car is being transferred to you"
    assert "with the date of sale 1 May 2024." in started.body

    # The buyer declines, in a German request: the German seller is told in German.
    transfer = Transfer.objects.get(car=car)
    with django_capture_on_commit_callbacks(execute=True):
        german_client(buyer).post(
            reverse("register:transfer_respond", args=[transfer.pk]), {"action": "decline"}
        )
    declined = mail.outbox[-1]
    assert declined.to == [seller.email]
    assert declined.subject == "Die Übertragung Ihres Fahrzeugs wurde abgelehnt"
    assert "wurde abgelehnt. Das Fahrzeug bleibt in Ihrer Garage." in declined.body


def test_a_german_buyer_is_told_of_a_transfer_with_a_german_date(
    member, other_member, django_capture_on_commit_callbacks
):
    speaks(other_member, "de")
    car = CarFactory(owner=member)

    client = Client()
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("register:transfer", args=[car.pk]),
            {"buyer": other_member.email, "transfer_date": "2024-05-01", "note": "Danke!"},
        )

    [message] = mail.outbox
    assert message.subject == "Ein Fahrzeug wird an Sie übertragen"
    assert "mit dem Verkaufsdatum 1. Mai 2024." in message.body
    assert "Anmerkung des Verkäufers: Danke!" in message.body


def test_a_transfer_closed_twice_says_so_in_german(german_member, other_member):
    car = CarFactory(owner=german_member)
    transfer = TransferFactory(
        car=car, from_member=german_member, to_member=other_member, state=Transfer.State.CANCELLED
    )

    response = german_client(german_member).post(
        reverse("register:transfer_respond", args=[transfer.pk]), {"action": "cancel"}
    )

    assert messages_of(response) == ["Diese Übertragung wurde bereits abgebrochen."]
