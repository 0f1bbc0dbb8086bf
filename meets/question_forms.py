"""The organiser's form for a meet's typed questions (meets/questions.py): one form a question,
in a formset that adds, removes and reorders them."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from meets.questions import (
    CHOICE_MAX_LENGTH,
    CHOICES_MAX,
    NUMBER_LIMIT,
    QUESTIONS_MAX,
    Question,
    validation_error_for_change,
)


class ChoicesField(forms.CharField):
    """Choices typed one a line: a list of at most CHOICES_MAX, each CHOICE_MAX_LENGTH long."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            value = "\n".join(str(v) for v in value)
        value = super().to_python(value)
        lines = []
        for line in value.replace("\r", "\n").split("\n"):
            line = line.strip()
            if line and line not in lines:
                lines.append(line)
        return lines

    def validate(self, value):
        super().validate(value)
        if len(value) > CHOICES_MAX:
            raise forms.ValidationError(
                _("Please keep to %(max)s choices (this has %(count)s)."),
                params={"max": CHOICES_MAX, "count": len(value)},
            )
        for line in value:
            if len(line) > CHOICE_MAX_LENGTH:
                raise forms.ValidationError(
                    _("“%(choice)s…” is too long: keep each choice to %(max)s characters."),
                    params={"choice": line[:20], "max": CHOICE_MAX_LENGTH},
                )


class QuestionForm(forms.ModelForm):
    choices = ChoicesField(
        label=_("Choices"),
        required=False,
        max_length=CHOICES_MAX * (CHOICE_MAX_LENGTH + 2),
        help_text=_("One a line, for a question with choices."),
    )
    min_value = forms.IntegerField(
        label=_("Smallest number"), required=False, min_value=-NUMBER_LIMIT, max_value=NUMBER_LIMIT
    )
    max_value = forms.IntegerField(
        label=_("Largest number"), required=False, min_value=-NUMBER_LIMIT, max_value=NUMBER_LIMIT
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=999, initial=0)

    class Meta:
        model = Question
        fields = [
            "position",
            "label",
            "help_text",
            "kind",
            "required",
            "asked_at",
            "choices",
            "min_value",
            "max_value",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The question as saved, before this form changes the instance.
        self.saved = (
            Question(pk=self.instance.pk, meet_id=self.instance.meet_id, kind=self.instance.kind)
            if self.instance.pk
            else None
        )
        if self.saved is not None:
            self.saved.label = self.instance.label
            self.saved.choices = list(self.instance.choices)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in Question.CHOICE_KINDS:
            if len(data.get("choices") or []) < 2 and "choices" not in self.errors:
                self.add_error("choices", _("A question with choices needs at least two."))
        else:
            data["choices"] = []
        if kind == Question.Kind.NUMBER:
            low, high = data.get("min_value"), data.get("max_value")
            if low is not None and high is not None and high < low:
                self.add_error("max_value", _("The largest number must not be below the smallest."))
        else:
            data["min_value"] = data["max_value"] = None
        if self.saved is not None and kind and not self.errors:
            changed = Question(
                pk=self.saved.pk,
                meet_id=self.saved.meet_id,
                kind=kind,
                choices=data.get("choices") or [],
            )
            error = validation_error_for_change(changed, self.saved)
            if error is not None:
                self.add_error("kind" if kind != self.saved.kind else "choices", error)
        return data


class BaseQuestionFormSet(forms.BaseModelFormSet):
    def __init__(self, *args, meet, **kwargs):
        self.meet = meet
        super().__init__(*args, queryset=Question.objects.filter(meet=meet), **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        labels = set()
        for form in self.forms:
            if not form.has_changed() and not form.instance.pk:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            label = (form.cleaned_data.get("label") or "").strip().casefold()
            if label in labels:
                form.add_error(
                    "label", _("The meet asks this question already: each is asked once.")
                )
                raise forms.ValidationError(_("Two questions have the same wording."))
            labels.add(label)
        if len(labels) > QUESTIONS_MAX:
            raise forms.ValidationError(
                _("A meet asks at most %(max)s questions."), params={"max": QUESTIONS_MAX}
            )


QuestionFormSet = forms.modelformset_factory(
    Question,
    form=QuestionForm,
    formset=BaseQuestionFormSet,
    extra=1,
    can_delete=True,
    max_num=QUESTIONS_MAX,
    validate_max=True,
    absolute_max=QUESTIONS_MAX + 5,
)
