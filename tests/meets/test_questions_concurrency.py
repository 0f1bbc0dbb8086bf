"""Two organisers saving questions at once cannot pass the limit of questions per meet
together: the meet's lock makes the second count the first's (meets.services.questions_save)."""

import pytest

from meets import services
from meets.question_forms import QuestionFormSet
from meets.questions import QUESTIONS_MAX, Question
from tests.meets.factories import MeetFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def save_questions(meet, who: str, count: int):
    data = {"questions-TOTAL_FORMS": str(count), "questions-INITIAL_FORMS": "0"}
    for n in range(count):
        data |= {
            f"questions-{n}-label": f"{who} {n}?",
            f"questions-{n}-kind": "text",
            f"questions-{n}-asked_at": "rsvp",
            f"questions-{n}-position": str(n),
        }

    def call():
        formset = QuestionFormSet(data, meet=meet, prefix="questions")
        assert formset.is_valid(), formset.errors
        for form in formset.forms:
            form.instance.meet = meet
        services.questions_save(meet=meet, formset=formset)
        return who

    return call


def test_two_organisers_at_once_cannot_pass_the_limit_together():
    meet = MeetFactory()
    half = QUESTIONS_MAX // 2 + 1  # each alone is allowed, both together are too many

    results, errors = run_together(
        [save_questions(meet, "Anna", half), save_questions(meet, "Bert", half)]
    )

    assert len(results) == 1
    assert [str(e) for e in errors] == [f"A meet asks at most {QUESTIONS_MAX} questions."]
    asked = list(Question.objects.filter(meet=meet))
    assert len(asked) == half
    assert [q.position for q in asked] == list(range(half))
