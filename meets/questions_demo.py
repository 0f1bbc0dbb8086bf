"""The demo meets' typed questions and their members' answers (meets/questions.py).

Idempotent: a meet that asks questions already is left alone. Called from meets/demo.py
after the demo meets and their RSVPs exist.
"""

import datetime
import random

from django.db import transaction

from meets.models import RSVP, Meet
from meets.questions import Question

Kind, Stage = Question.Kind, Question.Stage

DIETS = ["Vegetarian", "Vegan", "Gluten-free", "None"]
SIZES = ["S", "M", "L", "XL", "XXL"]
COUNTRIES = ["DE", "DE", "DE", "NL", "BE", "CH", "AT", "GB", "FR", "LU", "DK", "PL", "IT"]

# slug: (label, kind, required, asked at, choices, min, max), in order.
QUESTIONS = {
    "nurburgring-2027": [
        ("Will you join the dinner on Saturday?", Kind.YES_NO, True, Stage.RSVP, [], None, None),
        ("Dietary needs", Kind.MULTIPLE, False, Stage.RSVP, DIETS, None, None),
        ("T-shirt size", Kind.SINGLE, False, Stage.RSVP, SIZES, None, None),
        ("Arriving on", Kind.DATE, False, Stage.RSVP, [], None, None),
        ("Number of passengers", Kind.NUMBER, False, Stage.RSVP, [], 0, 3),
        ("Country you drive from", Kind.COUNTRY, False, Stage.RSVP, [], None, None),
        ("Track day wristband number", Kind.TEXT, False, Stage.CHECKIN, [], None, None),
    ],
    "nurburgring-2023": [
        ("Dietary needs for the dinner", Kind.TEXT, False, Stage.RSVP, [], None, None),
    ],
    "winter-breakfast-eifel": [
        ("Dietary needs", Kind.MULTIPLE, False, Stage.RSVP, DIETS, None, None),
        ("Will you join the drive afterwards?", Kind.YES_NO, False, Stage.RSVP, [], None, None),
    ],
    "eifel-sunday-drive": [
        ("Joining the lunch stop?", Kind.YES_NO, False, Stage.RSVP, [], None, None),
    ],
}


def _answer(question: Question, rng: random.Random, meet: Meet, checked_in: bool):
    """A plausible answer, or None for an optional question left empty."""
    if question.asked_at == Stage.CHECKIN and not checked_in:
        return None
    if not question.required and rng.random() < 0.3:
        return None
    if question.kind == Kind.YES_NO:
        return rng.random() < 0.7
    if question.kind == Kind.MULTIPLE:
        return [rng.choice(DIETS[:3])] if rng.random() < 0.3 else ["None"]
    if question.kind == Kind.SINGLE:
        return rng.choice(SIZES)
    if question.kind == Kind.DATE:
        day = meet.local_start.date() - datetime.timedelta(days=rng.choice((0, 0, 1)))
        return day.isoformat()
    if question.kind == Kind.NUMBER:
        return rng.randint(question.min_value or 0, question.max_value or 3)
    if question.kind == Kind.COUNTRY:
        return rng.choice(COUNTRIES)
    if question.label.startswith("Track day"):
        return f"TD-{rng.randint(1000, 9999)}"
    return rng.choice(["Vegetarian", "No nuts", "Lactose-free"])


def seed_questions() -> list[str]:
    """Give the demo meets their typed questions and answer them for the RSVPs there."""
    rng = random.Random(16)  # noqa: S311 - demo data, not a secret
    made = []
    for slug, asked in QUESTIONS.items():
        meet = Meet.objects.filter(slug=slug).first()
        if meet is None or Question.objects.filter(meet=meet).exists():
            continue
        with transaction.atomic():
            questions = Question.objects.bulk_create(
                Question(
                    meet=meet,
                    position=position,
                    label=label,
                    kind=kind,
                    required=required,
                    asked_at=stage,
                    choices=choices,
                    min_value=low,
                    max_value=high,
                )
                for position, (label, kind, required, stage, choices, low, high) in enumerate(asked)
            )
            questions = list(Question.objects.filter(meet=meet))  # with their ids
            rsvps = list(RSVP.objects.filter(meet=meet).order_by("pk"))
            for rsvp in rsvps:
                answers = {}
                for question in questions:
                    value = _answer(question, rng, meet, rsvp.checked_in_at is not None)
                    if value is not None:
                        answers[question.key] = value
                rsvp.answers = answers
            RSVP.objects.bulk_update(rsvps, ["answers"])
        made.append(f"{len(questions)} question{'s' * (len(questions) != 1)} at {meet.title}")
    return made
