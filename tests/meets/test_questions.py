"""Typed questions (meets/questions.py): asked at RSVP or at check-in, edited by organisers,
shown on the attendee list and in the CSV, moved over from the old free-text questions."""

import csv
import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse

from meets import services
from meets.forms import RSVPForm
from meets.models import RSVP
from meets.questions import (
    Question,
    checkin_questions,
    convert_text_questions,
    format_answer,
    legacy_question_lines,
    rekey_answers,
    validate_answers,
)
from meets.questions_demo import seed_questions
from meets.views.organiser import attendee_table
from tests.factories import MemberFactory
from tests.meets.factories import (
    GateDayMeetFactory,
    MeetFactory,
    QuestionFactory,
    RSVPFactory,
)
from tests.register.factories import CarFactory

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def meet(organiser, helper):
    return GateDayMeetFactory(
        title="Ring weekend", organisers=[organiser], checkin_helpers=[helper]
    )


@pytest.fixture
def asked(meet):
    """One question of every kind at RSVP, and a wristband number at check-in."""

    def q(label, kind, **extra):
        return QuestionFactory(meet=meet, label=label, kind=kind, **extra)

    return {
        "text": q("Dietary notes", "text"),
        "number": q("Passengers", "number", min_value=0, max_value=3, required=True),
        "yes_no": q("Dinner on Saturday?", "yes_no", required=True),
        "single": q("T-shirt size", "single", choices=["S", "M", "L"]),
        "multiple": q("Diet", "multiple", choices=["Vegetarian", "Vegan", "Gluten-free"]),
        "date": q("Arriving on", "date"),
        "country": q("Driving from", "country"),
        "checkin": q("Wristband", "text", asked_at="checkin", required=True),
    }


GOOD = {
    "text": "No nuts",
    "number": 2,
    "yes_no": True,
    "single": "L",
    "multiple": ["Vegetarian", "Vegan"],
    "date": "2027-06-18",
    "country": "NL",
}


def by_id(asked, values):
    return {asked[kind].key: value for kind, value in values.items()}


# --- validate_answers: the rule every way in shares ------------------------------------------


def test_it_types_every_kind_of_answer(meet, asked):
    sent = {**GOOD, "multiple": ["Vegan", "Vegetarian"]}

    answers, errors = validate_answers(meet, "rsvp", by_id(asked, sent))

    assert errors == {}
    assert answers == by_id(asked, GOOD)  # several choices in the organiser's order


def test_an_optional_question_left_empty_has_no_answer(meet, asked):
    answers, errors = validate_answers(
        meet, "rsvp", by_id(asked, {"number": 0, "yes_no": False, "text": "  ", "multiple": []})
    )

    assert errors == {}
    assert answers == by_id(asked, {"number": 0, "yes_no": False})


def test_a_required_question_left_empty_is_an_error(meet, asked):
    answers, errors = validate_answers(meet, "rsvp", by_id(asked, {"text": "x"}))

    assert answers == {}
    assert errors == {
        asked["number"].key: ["This field is required."],
        asked["yes_no"].key: ["This field is required."],
    }


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("number", 4, "Ensure this value is less than or equal to 3."),
        ("number", -1, "Ensure this value is greater than or equal to 0."),
        ("number", "two", "Enter a whole number."),
        ("number", "9" * 40, "Ensure this value is less than or equal to 3."),
        (
            "yes_no",
            "perhaps",
            "Select a valid choice. perhaps is not one of the available choices.",
        ),
        ("single", "XXL", "Select a valid choice. XXL is not one of the available choices."),
        ("multiple", ["Vegan", "Carnivore"], "Select a valid choice. Carnivore is not one of"),
        ("date", "2027-02-30", "Enter a valid date."),
        ("date", "x" * 40, "Enter a valid date."),
        ("country", "ZZ", "Select a valid choice. ZZ is not one of the available choices."),
        ("text", "x" * 501, "Ensure this value has at most 500 characters (it has 501)."),
        ("text", {"nested": "object"}, ""),
        ("single", ["S", "M"], ""),
    ],
)
def test_a_bad_answer_is_an_error_message_never_an_exception(meet, asked, kind, value, message):
    data = by_id(asked, {**GOOD, kind: value})

    answers, errors = validate_answers(meet, "rsvp", data)

    assert answers == {}
    assert list(errors) == [asked[kind].key]
    assert errors[asked[kind].key][0].startswith(message)


def test_it_checks_only_the_stage_asked_for_and_ignores_unknown_ids(meet, asked):
    answers, errors = validate_answers(meet, "checkin", {asked["checkin"].pk: "W-17", "99999": 1})

    assert errors == {}
    assert answers == {asked["checkin"].key: "W-17"}
    assert checkin_questions(meet) == [asked["checkin"]]
    # Garbage instead of a mapping is no answers at all, not a crash.
    assert validate_answers(meet, "checkin", ["nonsense"])[1] == {
        asked["checkin"].key: ["This field is required."]
    }


# --- The RSVP form --------------------------------------------------------------------------


def test_the_rsvp_form_asks_the_rsvp_questions_with_fitting_widgets(meet, asked, member):
    form = RSVPForm(meet=meet, member=member)
    html = form.as_div()

    assert f"question_{asked['checkin'].pk}" not in form.fields  # asked at the gate
    field = form.fields[f"question_{asked['number'].pk}"]
    assert (field.required, field.min_value, field.max_value) == (True, 0, 3)
    assert 'type="date"' in html
    assert 'type="checkbox"' in html  # several choices
    assert 'type="radio"' in html  # the required yes/no
    assert "Netherlands" in html  # the country list


def test_rsvping_stores_typed_answers(meet, asked, member, member_car):
    data = {"car": member_car.pk, "guests": 0}
    data[f"question_{asked['number'].pk}"] = "3"
    data[f"question_{asked['yes_no'].pk}"] = "no"
    data[f"question_{asked['multiple'].pk}"] = ["Gluten-free"]
    data[f"question_{asked['country'].pk}"] = "BE"

    response = login(member).post(reverse("meets:rsvp", args=[meet.slug]), data)

    assert response.status_code == 302
    assert RSVP.objects.get(meet=meet).answers == by_id(
        asked, {"number": 3, "yes_no": False, "multiple": ["Gluten-free"], "country": "BE"}
    )


def test_an_rsvp_without_a_required_answer_is_refused_with_the_forms_message(
    meet, asked, member, member_car
):
    data = {"car": member_car.pk, "guests": 0, f"question_{asked['number'].pk}": "11"}

    response = login(member).post(reverse("meets:rsvp", args=[meet.slug]), data)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[f"question_{asked['number'].pk}"] == [
        "Ensure this value is less than or equal to 3."
    ]
    assert form.errors[f"question_{asked['yes_no'].pk}"] == ["This field is required."]
    assert not RSVP.objects.exists()


# --- At check-in ------------------------------------------------------------------------------


@pytest.fixture
def going(meet, asked):
    person = MemberFactory(display_name="Greta Going")
    return RSVPFactory(
        meet=meet, member=person, car=CarFactory(owner=person), answers=by_id(asked, GOOD)
    )


def test_a_required_checkin_question_blocks_the_list_button(helper, meet, going):
    response = login(helper).post(reverse("meets:checkin_rsvp", args=[meet.slug, going.pk]))

    assert response.status_code == 302
    assert response["Location"] == going.get_checkin_url()
    going.refresh_from_db()
    assert going.checked_in_at is None


def test_the_code_page_asks_the_checkin_question_and_refuses_without_an_answer(
    helper, going, asked
):
    client = login(helper)
    page = client.get(going.get_checkin_url())
    assert "Questions at check-in" in page.content.decode()
    assert f'name="question_{asked["checkin"].pk}"' in page.content.decode()
    # The RSVP's answers are shown, formatted.
    assert "Vegetarian; Vegan" in page.content.decode()

    refused = client.post(going.get_checkin_url(), {})

    assert refused.status_code == 200
    assert refused.context["form"].errors[f"question_{asked['checkin'].pk}"] == [
        "This field is required."
    ]
    going.refresh_from_db()
    assert going.checked_in_at is None


def test_answering_at_the_gate_checks_in_and_keeps_the_rsvp_answers(helper, going, asked):
    response = login(helper).post(
        going.get_checkin_url(), {f"question_{asked['checkin'].pk}": "TD-4711"}
    )

    assert response.status_code == 302
    going.refresh_from_db()
    assert going.checked_in_at is not None
    assert going.answers == {**by_id(asked, GOOD), asked["checkin"].key: "TD-4711"}


def test_the_service_refuses_a_check_in_with_a_required_question_unanswered(helper, going, asked):
    with pytest.raises(
        services.RSVPError, match="Answer the check-in questions first: “Wristband”"
    ):
        services.rsvp_check_in(rsvp=going, by=helper, answers={"99999": "x"})
    going.refresh_from_db()
    assert going.checked_in_at is None

    done, new = services.rsvp_check_in(rsvp=going, by=helper, answers={asked["checkin"].key: "W1"})

    assert new and done.answers[asked["checkin"].key] == "W1"


# --- The organiser's questions page ------------------------------------------------------------


def formset_data(*rows, initial=0):
    data = {"questions-TOTAL_FORMS": str(len(rows)), "questions-INITIAL_FORMS": str(initial)}
    for n, row in enumerate(rows):
        row = {"position": n, "kind": "text", "asked_at": "rsvp", **row}
        data.update({f"questions-{n}-{key}": value for key, value in row.items()})
    return data


def questions_url(meet):
    return reverse("meets:questions", args=[meet.slug])


def test_the_organiser_adds_questions_in_order(organiser, meet):
    data = formset_data(
        {"label": "T-shirt size", "kind": "single", "choices": "S\r\nM\r\nL\r\nM", "position": 5},
        {"label": "Dinner?", "kind": "yes_no", "required": "on", "position": 1},
    )

    response = login(organiser).post(questions_url(meet), data)

    assert response.status_code == 302
    saved = list(meet.questions.values_list("label", "kind", "required", "choices", "position"))
    assert saved == [
        ("Dinner?", "yes_no", True, [], 0),
        ("T-shirt size", "single", False, ["S", "M", "L"], 1),
    ]


@pytest.mark.parametrize(
    ("rows", "field", "message"),
    [
        (
            [{"label": "Size", "kind": "single", "choices": "Only one"}],
            "choices",
            "A question with choices needs at least two.",
        ),
        (
            [
                {
                    "label": "Size",
                    "kind": "multiple",
                    "choices": "\n".join(str(n) for n in range(31)),
                }
            ],
            "choices",
            "Please keep to 30 choices (this has 31).",
        ),
        (
            [{"label": "Size", "kind": "single", "choices": "S\n" + "x" * 101}],
            "choices",
            "“xxxxxxxxxxxxxxxxxxxx…” is too long: keep each choice to 100 characters.",
        ),
        (
            [{"label": "Passengers", "kind": "number", "min_value": "3", "max_value": "1"}],
            "max_value",
            "The largest number must not be below the smallest.",
        ),
        (
            [{"label": "Dinner?"}, {"label": "dinner?"}],
            "label",
            "The meet asks this question already: each is asked once.",
        ),
        ([{"label": "Kind?", "kind": "essay"}], "kind", "Select a valid choice."),
    ],
)
def test_a_bad_question_is_a_clear_form_error(organiser, meet, rows, field, message):
    response = login(organiser).post(questions_url(meet), formset_data(*rows))

    assert response.status_code == 200
    errors = [e for form in response.context["formset"] for e in form.errors.get(field, [])]
    assert errors and errors[0].startswith(message)
    assert not meet.questions.exists()


def test_tampered_formset_counts_are_a_form_error_never_a_500(organiser, meet):
    client = login(organiser)
    for total in ("lots", "-1", "99999999999"):
        data = {**formset_data({"label": "Dinner?"}), "questions-TOTAL_FORMS": total}
        assert client.post(questions_url(meet), data).status_code in (200, 302)
    assert meet.questions.count() <= 1
    # Another meet's question id in the form is not found there: a new question at most.
    other = QuestionFactory(label="Elsewhere")
    data = formset_data({"label": "Mine", "id": str(other.pk)}, initial=1)
    assert client.post(questions_url(meet), data).status_code in (200, 302)
    other.refresh_from_db()
    assert other.label == "Elsewhere"


def test_an_answered_question_keeps_its_kind_and_choices_but_may_be_reworded(
    organiser, meet, asked, going
):
    single = asked["single"]
    rows = [
        {
            "id": q.pk,
            "label": q.label,
            "kind": q.kind,
            "asked_at": q.asked_at,
            "choices": "\n".join(q.choices),
            "required": "on" if q.required else "",
            "min_value": q.min_value if q.min_value is not None else "",
            "max_value": q.max_value if q.max_value is not None else "",
        }
        for q in meet.questions.all()
    ]
    index = [r["id"] for r in rows].index(single.pk)
    client = login(organiser)

    rows[index] = {**rows[index], "kind": "text"}
    response = client.post(questions_url(meet), formset_data(*rows, initial=len(rows)))
    assert response.status_code == 200
    assert "its kind cannot change" in response.content.decode()

    rows[index] = {**rows[index], "kind": "single", "choices": "S\nM"}
    response = client.post(questions_url(meet), formset_data(*rows, initial=len(rows)))
    assert "can be added to but not removed (L)" in response.content.decode()

    rows[index] = {**rows[index], "label": "Shirt size", "choices": "S\nM\nL\nXL"}
    response = client.post(questions_url(meet), formset_data(*rows, initial=len(rows)))
    assert response.status_code == 302
    single.refresh_from_db()
    assert (single.label, single.choices) == ("Shirt size", ["S", "M", "L", "XL"])


# --- Attendee list and CSV ------------------------------------------------------------------


def test_the_csv_has_a_column_per_question_formatted_per_kind(organiser, meet, asked, going):
    going.answers[asked["checkin"].key] = "TD-1"
    going.save()

    header, rows = attendee_table([meet], viewer=organiser)

    start = header.index("Dietary notes")
    assert header[start : start + 8] == [
        "Dietary notes",
        "Passengers",
        "Dinner on Saturday?",
        "T-shirt size",
        "Diet",
        "Arriving on",
        "Driving from",
        "Wristband (at check-in)",
    ]
    assert rows[0][start : start + 8] == [
        "No nuts",
        "2",
        "Yes",
        "L",
        "Vegetarian; Vegan",
        "2027-06-18",
        "Netherlands",
        "TD-1",
    ]
    response = login(organiser).get(reverse("meets:attendees_csv", args=[meet.slug]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1][start + 4] == "Vegetarian; Vegan"


def test_several_meets_asking_the_same_question_share_its_column(organiser, meet, asked, going):
    other = MeetFactory(organisers=[organiser])
    diet = QuestionFactory(meet=other, label="Diet", kind="multiple", choices=["Vegan", "None"])
    RSVPFactory(meet=other, answers={diet.key: ["None"]})

    header, rows = attendee_table([meet, other], viewer=organiser)

    assert header.count("Diet") == 1
    column = header.index("Diet")
    assert sorted(row[column] for row in rows) == ["None", "Vegetarian; Vegan"]


def test_the_attendee_list_shows_answers_per_question(organiser, meet, asked, going):
    response = login(organiser).get(reverse("meets:attendees", args=[meet.slug]))

    text = response.content.decode()
    assert "Dinner on Saturday?:</span> Yes" in text
    assert "Driving from:</span> Netherlands" in text


def test_format_answer_translates_yes_and_no_and_localises_dates(asked):
    from django.utils import translation

    with translation.override("de"):
        assert format_answer(asked["yes_no"], False) == "Nein"
    assert format_answer(asked["date"], "2027-06-18") == "18 Jun 2027"
    assert format_answer(asked["date"], "2027-06-18", for_csv=True) == "2027-06-18"
    assert format_answer(asked["date"], "garbage") == "garbage"


def test_the_members_data_export_names_each_answer_by_its_question(going, asked):
    data = services.member_meets_data(member=going.member)

    assert data["rsvps"][0]["answers"] == {
        "Dietary notes": "No nuts",
        "Passengers": 2,
        "Dinner on Saturday?": True,
        "T-shirt size": "L",
        "Diet": ["Vegetarian", "Vegan"],
        "Arriving on": "2027-06-18",
        "Driving from": "NL",
    }


# --- The old free-text questions ----------------------------------------------------------------


def test_old_question_lines_become_labels_once_each():
    assert legacy_question_lines(" Dietary needs \n\nT-shirt size\nDietary needs\n") == [
        "Dietary needs",
        "T-shirt size",
    ]
    assert legacy_question_lines("") == []


def test_old_answers_move_to_the_new_keys_and_empty_ones_go():
    ids = {"Dietary needs": 7, "T-shirt size": 8}

    assert rekey_answers({"Dietary needs": "Vegan", "T-shirt size": "", "Gone?": "x"}, ids) == {
        "7": "Vegan"
    }
    assert rekey_answers(["not", "a", "dict"], ids) == {}


def test_the_data_migration_turns_text_lines_into_questions_and_rekeys_answers(meet):
    """convert_text_questions, run with stand-ins for the historical models: the meets'
    old text is read through `values_list("pk", "questions")`."""

    class OldMeets:
        class objects:  # noqa: N801 - a stand-in for a manager
            @staticmethod
            def exclude(**_):
                return OldMeets.objects

            @staticmethod
            def values_list(*_):
                return [(meet.pk, "Dietary needs\nT-shirt size\n")]

    rsvp = RSVPFactory(meet=meet, answers={"Dietary needs": "Vegan", "T-shirt size": ""})
    untouched = RSVPFactory(answers={})

    convert_text_questions(OldMeets, Question, [RSVP, RSVP.history.model])

    questions = list(meet.questions.all())
    assert [(q.label, q.kind, q.asked_at, q.required, q.position) for q in questions] == [
        ("Dietary needs", "text", "rsvp", False, 0),
        ("T-shirt size", "text", "rsvp", False, 1),
    ]
    rsvp.refresh_from_db()
    assert rsvp.answers == {questions[0].key: "Vegan"}
    assert rsvp.history.first().answers == {questions[0].key: "Vegan"}
    untouched.refresh_from_db()
    assert untouched.answers == {}


# --- Demo ---------------------------------------------------------------------------------------


def test_the_demo_questions_are_typed_answered_and_seeded_once(organiser):
    ring = MeetFactory(
        slug="nurburgring-2027", starts_at=datetime.datetime(2027, 6, 19, 7, tzinfo=datetime.UTC)
    )
    for _ in range(3):
        RSVPFactory(meet=ring)

    made = seed_questions()

    assert made == ["7 questions at " + ring.title]
    kinds = list(ring.questions.values_list("kind", "asked_at"))
    assert kinds == [
        ("yes_no", "rsvp"),
        ("multiple", "rsvp"),
        ("single", "rsvp"),
        ("date", "rsvp"),
        ("number", "rsvp"),
        ("country", "rsvp"),
        ("text", "checkin"),
    ]
    dinner = ring.questions.first()
    for rsvp in RSVP.objects.filter(meet=ring):
        assert isinstance(rsvp.answers[dinner.key], bool)  # required: always answered
        assert validate_answers(ring, "rsvp", rsvp.answers)[1] == {}
    assert seed_questions() == []


def test_the_questions_page_climbs_the_permission_ladder(
    client, meet, asked, member, helper, organiser
):
    url = questions_url(meet)

    assert client.get(url)["Location"].startswith("/accounts/login/")
    assert login(member).get(url).status_code == 404
    assert login(helper).get(url).status_code == 403
    response = login(organiser).get(url)
    assert response.status_code == 200
    assert "Dinner on Saturday?" in response.content.decode()
    assert response.context["formset"].total_form_count() == len(asked) + 1  # and a new one


def test_the_member_sees_their_own_answers_on_the_meets_page(going, asked):
    response = login(going.member).get(going.meet.get_absolute_url())

    rows = response.context["mine_answers"]
    assert [(q.label, answer) for q, answer in rows] == [
        ("Dietary notes", "No nuts"),
        ("Passengers", "2"),
        ("Dinner on Saturday?", "Yes"),
        ("T-shirt size", "L"),
        ("Diet", "Vegetarian; Vegan"),
        ("Arriving on", "18 Jun 2027"),
        ("Driving from", "Netherlands"),
    ]
    assert "<dt>Driving from</dt>" in response.content.decode()
