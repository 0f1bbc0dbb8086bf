"""Typed questions a meet asks its attendees: at RSVP or at the gate.

A `Question` has a kind (text, number, yes/no, single or multiple choice, date, country),
is required or optional, and is asked at RSVP or at check-in. Answers live in
`RSVP.answers`, a JSON object keyed by the question's id (as a string), each value typed:

    text             "Vegetarian"            single choice   "L"
    number           2                       multiple choice ["Vegan", "Gluten-free"]
    yes/no           true / false            date            "2027-06-11" (ISO)
    country          "DE" (ISO 3166 code)

An optional question left empty has no key. Every way in (the RSVP form, the web check-in
page, the gate app's JSON) validates through the same form fields: `question_field` builds
one, `validate_answers` checks plain JSON-ish values with them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import Country, CountryField

QUESTIONS_MAX = 20  # questions per meet (README "Limits")
LABEL_MAX_LENGTH = 200
HELP_MAX_LENGTH = 300
ANSWER_MAX_LENGTH = 500
CHOICES_MAX = 30
CHOICE_MAX_LENGTH = 100
NUMBER_LIMIT = 1_000_000  # the largest number a number question may allow or be answered


class QuestionQuerySet(models.QuerySet):
    def at(self, stage: str):
        return self.filter(asked_at=stage)


class Question(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        YES_NO = "yes_no", _("Yes or no")
        SINGLE = "single", _("One choice")
        MULTIPLE = "multiple", _("Several choices")
        DATE = "date", _("Date")
        COUNTRY = "country", _("Country")

    class Stage(models.TextChoices):
        RSVP = "rsvp", _("At RSVP")
        CHECKIN = "checkin", _("At check-in")

    CHOICE_KINDS = (Kind.SINGLE, Kind.MULTIPLE)

    meet = models.ForeignKey(
        "meets.Meet",
        verbose_name=_("meet"),
        on_delete=models.CASCADE,
        related_name="questions",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label = models.CharField(_("question"), max_length=LABEL_MAX_LENGTH)
    help_text = models.CharField(_("help text"), max_length=HELP_MAX_LENGTH, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    required = models.BooleanField(_("required"), default=False)
    asked_at = models.CharField(
        _("asked"), max_length=10, choices=Stage.choices, default=Stage.RSVP
    )
    choices = models.JSONField(_("choices"), default=list, blank=True)
    min_value = models.IntegerField(_("smallest number"), null=True, blank=True)
    max_value = models.IntegerField(_("largest number"), null=True, blank=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["meet", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_value__isnull=True)
                | models.Q(max_value__isnull=True)
                | models.Q(max_value__gte=models.F("min_value")),
                name="meets_question_min_not_above_max",
                violation_error_message=_("The largest number must not be below the smallest."),
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def key(self) -> str:
        """The question's key in `RSVP.answers`."""
        return str(self.pk)


# --- Form fields ----------------------------------------------------------------------------

YES, NO = "yes", "no"


class YesNoField(forms.ChoiceField):
    """Yes or no: radio buttons when required, else a select that may stay empty."""

    def __init__(self, *, required: bool, **kwargs):
        choices = [(YES, _("Yes")), (NO, _("No"))]
        if required:
            super().__init__(choices=choices, required=True, widget=forms.RadioSelect, **kwargs)
        else:
            super().__init__(choices=[("", _("No answer")), *choices], required=False, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return {YES: True, NO: False}.get(value)


def question_field(question: Question) -> forms.Field:
    """The form field that asks `question`, cleaning to a value `to_json` can store."""
    common = {
        "label": question.label,
        "help_text": question.help_text,
        "required": question.required,
    }
    kind = question.kind
    if kind == Question.Kind.NUMBER:
        low = question.min_value if question.min_value is not None else -NUMBER_LIMIT
        high = question.max_value if question.max_value is not None else NUMBER_LIMIT
        return forms.IntegerField(min_value=low, max_value=high, **common)
    if kind == Question.Kind.YES_NO:
        return YesNoField(**common)
    if kind == Question.Kind.SINGLE:
        choices = [(c, c) for c in question.choices]
        if question.required:
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        return forms.ChoiceField(choices=[("", _("No answer")), *choices], **common)
    if kind == Question.Kind.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in question.choices],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if kind == Question.Kind.DATE:
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common
        )
    if kind == Question.Kind.COUNTRY:
        return CountryField(blank=not question.required).formfield(**common)
    return forms.CharField(max_length=ANSWER_MAX_LENGTH, **common)


def to_json(question: Question, value: Any) -> Any:
    """A cleaned form value as stored in `RSVP.answers`; None, "" and [] mean no answer."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    if question.kind == Question.Kind.MULTIPLE:
        # In the order the organiser listed them, whatever order they came in.
        return [c for c in question.choices if c in value]
    if isinstance(value, Country):
        return value.code
    if question.kind == Question.Kind.TEXT:
        return value.strip() or None
    return value


def to_form_data(question: Question, value: Any) -> Any:
    """A JSON value (an API's or a stored answer) as a form would post it."""
    if value is None:
        return [] if question.kind == Question.Kind.MULTIPLE else ""
    if question.kind == Question.Kind.YES_NO and isinstance(value, bool):
        return YES if value else NO
    if question.kind == Question.Kind.MULTIPLE:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list | tuple):
            return [v if isinstance(v, str) else str(v) for v in value]
        return [str(value)]
    if isinstance(value, bool | int | float | str):
        return str(value)
    return "\x00"  # an object or anything else: no field accepts it


def field_name(question: Question) -> str:
    return f"question_{question.pk}"


def add_question_fields(form: forms.Form, questions: Iterable[Question]) -> None:
    """Give `form` a field per question, named by `field_name`."""
    for question in questions:
        form.fields[field_name(question)] = question_field(question)


def cleaned_answers(form: forms.Form, questions: Iterable[Question]) -> dict[str, Any]:
    """The answers a valid form holds, keyed and typed as `RSVP.answers` keeps them."""
    answers = {}
    for question in questions:
        value = to_json(question, form.cleaned_data.get(field_name(question)))
        if value is not None:
            answers[question.key] = value
    return answers


# --- For the gate app and every other caller ------------------------------------------------


def rsvp_questions(meet) -> list[Question]:
    """The questions `meet` asks at RSVP, in order."""
    return list(Question.objects.filter(meet=meet, asked_at=Question.Stage.RSVP))


def checkin_questions(meet) -> list[Question]:
    """The questions `meet` asks at check-in, in order."""
    return list(Question.objects.filter(meet=meet, asked_at=Question.Stage.CHECKIN))


def validate_answers(
    meet, stage: str, data: Mapping[str, Any], *, questions: Iterable[Question] | None = None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check answers to `meet`'s questions of `stage` ("rsvp" or "checkin").

    `data` maps a question's id (string or int) to a plain JSON value: a string, a number,
    true/false for yes/no, a list of strings for several choices, "YYYY-MM-DD" for a date,
    a two-letter code for a country; null or a missing key is no answer. Keys of other
    questions are ignored. Returns `(answers, errors)`: the typed answers as `RSVP.answers`
    stores them (only the questions answered), and for each question that failed, its id
    and the messages a person can read (a required question left empty among them).
    Nothing is saved. `questions` spares the query when the caller has them already.
    """
    if questions is None:
        questions = Question.objects.filter(meet=meet, asked_at=stage)
    questions = [q for q in questions if q.asked_at == stage]
    given = {str(k): v for k, v in (data or {}).items()} if isinstance(data, Mapping) else {}
    form = forms.Form(data={field_name(q): to_form_data(q, given.get(q.key)) for q in questions})
    add_question_fields(form, questions)
    form.data = _MultiDict(form.data)
    if form.is_valid():
        return cleaned_answers(form, questions), {}
    errors = {}
    for question in questions:
        if field_name(question) in form.errors:
            errors[question.key] = list(form.errors[field_name(question)])
    return {}, errors


class _MultiDict(dict):
    """Form data where a list is a list (MultipleChoiceField reads it with getlist)."""

    def getlist(self, key):
        value = self.get(key, [])
        return value if isinstance(value, list) else [value]


def missing_required(questions: Iterable[Question], answers: Mapping[str, Any]) -> list[Question]:
    """The required questions among `questions` that `answers` leaves without an answer."""
    return [q for q in questions if q.required and answers.get(q.key) in (None, "", [])]


# --- Showing answers ------------------------------------------------------------------------


def format_answer(question: Question, value: Any, *, for_csv: bool = False) -> str:
    """A stored answer as people read it: yes/no in their language, choices joined with
    "; ", a country's name, a date localised (ISO in a CSV file)."""
    if value is None or value == "" or value == []:
        return ""
    kind = question.kind
    if kind == Question.Kind.YES_NO:
        return gettext("Yes") if value else gettext("No")
    if kind == Question.Kind.MULTIPLE and isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if kind == Question.Kind.COUNTRY:
        return str(Country(code=str(value)).name or value)
    if kind == Question.Kind.DATE and not for_csv:
        try:
            return formats.date_format(datetime.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(value)


def answer_rows(
    questions: Iterable[Question], answers: Mapping[str, Any] | None
) -> list[tuple[Question, str]]:
    """(question, formatted answer) for each question `answers` answers, in order."""
    answers = answers or {}
    return [
        (q, format_answer(q, answers[q.key]))
        for q in questions
        if format_answer(q, answers.get(q.key))
    ]


def has_answers(question: Question) -> bool:
    from meets.models import RSVP

    return RSVP.objects.filter(meet_id=question.meet_id, answers__has_key=question.key).exists()


def validation_error_for_change(question: Question, old: Question) -> ValidationError | None:
    """Why `question` may not change this way (its kind, or choices taken away) once answered."""
    kind_changed = question.kind != old.kind
    removed = set(old.choices) - set(question.choices)
    if not (kind_changed or (question.kind in Question.CHOICE_KINDS and removed)):
        return None
    if not has_answers(old):
        return None
    if kind_changed:
        return ValidationError(
            _(
                "Members have answered “%(label)s” already, so its kind cannot change. "
                "Add a new question instead."
            ),
            params={"label": old.label},
        )
    return ValidationError(
        _(
            "Members have answered “%(label)s” already, so its choices can be added to "
            "but not removed (%(removed)s)."
        ),
        params={"label": old.label, "removed": ", ".join(sorted(removed))},
    )


# --- The old free-text questions (data migration) ---------------------------------------------


def legacy_question_lines(text: str) -> list[str]:
    """The questions a meet's old free-text field asked: one a non-blank line, no repeats."""
    lines = []
    for line in (text or "").splitlines():
        line = line.strip()[:LABEL_MAX_LENGTH]
        if line and line not in lines:
            lines.append(line)
    return lines


def rekey_answers(answers: Any, ids: Mapping[str, int]) -> dict[str, Any]:
    """Old answers {question text: answer} keyed by the new questions' ids; empty ones and
    answers to questions the meet no longer asked are dropped (no column showed them)."""
    if not isinstance(answers, dict):
        return {}
    new = {}
    for text, answer in answers.items():
        key = ids.get(str(text).strip()[:LABEL_MAX_LENGTH])
        if key is not None and answer not in (None, ""):
            new[str(key)] = str(answer)[:ANSWER_MAX_LENGTH]
    return new


def convert_text_questions(meet_model, question_model, rsvp_models) -> None:
    """Turn every meet's old text lines into optional text questions asked at RSVP, and
    rewrite the answers of each RSVP model in `rsvp_models` (the RSVPs and their history)
    to the new keys. Run by migration 0006 with the historical models."""
    ids: dict[int, dict[str, int]] = {}
    for meet_id, text in meet_model.objects.exclude(questions="").values_list("pk", "questions"):
        ids[meet_id] = {}
        for position, label in enumerate(legacy_question_lines(text)):
            question = question_model.objects.create(
                meet_id=meet_id, position=position, label=label, kind="text", asked_at="rsvp"
            )
            ids[meet_id][label] = question.pk
    for rsvp_model in rsvp_models:
        rows = rsvp_model.objects.exclude(answers={}).values_list("pk", "meet_id", "answers")
        for pk, meet_id, answers in rows.iterator():
            new = rekey_answers(answers, ids.get(meet_id, {}))
            rsvp_model.objects.filter(pk=pk).update(answers=new)
